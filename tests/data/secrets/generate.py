"""Write the redaction corpus: secrets.jsonl (fake credentials in context) and lookalikes.jsonl.

Every credential is FAKE: drawn from a seeded generator in its format's prefix, length and alphabet,
so the files are the same on every run. Run from anywhere: python tests/data/secrets/generate.py
Each secrets.jsonl line: {"text", "secrets": [substrings that must vanish], "kind": marker kind}.
Each lookalikes.jsonl line: {"text", "kind"}: text that redaction must leave byte-identical.
"""

from __future__ import annotations

import base64
import json
import random
import zlib
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20240617

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = UPPER.lower()
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
WORDS = ["falcon", "granite", "orbit", "maple", "copper", "lantern", "violet", "harbor", "quartz",
         "ember", "tundra", "willow", "cobalt", "saffron", "meadow", "zephyr"]


class Fake:
    """Seeded makers of structurally valid, never-real credentials."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return self.r.choice("123456789") + self.s(DIGITS, n - 1)

    def password(self) -> str:
        w1, w2 = self.r.sample(WORDS, 2)
        return f"{w1.capitalize()}{self.r.randint(10, 9999)}{self.r.choice('!#%^*+')}{w2}"

    def github(self, prefix: str = "ghp") -> str:
        # Real tokens end in a base62 CRC32 of their random part; mimic it.
        body = self.s(ALNUM, 30)
        crc = zlib.crc32(body.encode())
        check = ""
        while crc:
            crc, d = divmod(crc, 62)
            check = (DIGITS + UPPER + LOWER)[d] + check
        return f"{prefix}_{body}{check.rjust(6, '0')}"

    def github_pat(self) -> str:
        return f"github_pat_11{self.s(UPPER + DIGITS, 20)}_{self.s(ALNUM, 59)}"

    def aws_id(self, prefix: str = "AKIA") -> str:
        return prefix + self.s(UPPER + "234567", 16)

    def aws_secret(self) -> str:
        return self.s(B64, 40)

    def jwt(self) -> str:
        def enc(obj: dict) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")
        header = enc({"alg": "HS256", "typ": "JWT"})
        payload = enc({"sub": self.digits(8), "iat": 1700000000 + self.r.randint(0, 10**6),
                       "scope": self.r.choice(["read", "admin", "repo"])})
        return f"{header}.{payload}.{self.s(B64URL, 43)}"

    def pem_lines(self, n: int, first: str = "MII") -> list[str]:
        lines = [first + self.s(B64, 61)] + [self.s(B64, 64) for _ in range(n - 2)]
        return lines + [self.s(B64, 24) + "=="]


def secret_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str, *secrets: str) -> None:
        cases.append({"text": text, "secrets": list(secrets), "kind": kind})

    # AWS
    kid, sec = f.aws_id(), f.aws_secret()
    add("aws-access-key-id", f"AWS_ACCESS_KEY_ID={kid}\nAWS_SECRET_ACCESS_KEY={sec}\nAWS_REGION=us-east-1\n", kid, sec)
    kid, sec = f.aws_id(), f.aws_secret()
    add("aws-secret-access-key", f"[default]\naws_access_key_id = {kid}\naws_secret_access_key = {sec}\nregion = eu-west-1\n", kid, sec)
    kid, sec = f.aws_id(), f.aws_secret()
    add("aws-secret-access-key", f's3 = boto3.client("s3", aws_access_key_id="{kid}",\n    aws_secret_access_key="{sec}")', kid, sec)
    kid, sec = f.aws_id(), f.aws_secret()
    add("aws-secret-access-key", f"User name,Password,Access key ID,Secret access key,Console login link\nci-bot,,{kid},{sec},https://123456789012.signin.aws.amazon.com/console\n", kid, sec)
    kid, sec, tok = f.aws_id("ASIA"), f.aws_secret(), "IQoJb3JpZ2luX2Vj" + f.s(B64, 300)
    add("aws-secret-access-key", json.dumps({"Credentials": {"AccessKeyId": kid, "SecretAccessKey": sec, "SessionToken": tok, "Expiration": "2024-06-17T12:00:00Z"}}, indent=2), kid, sec, tok)
    kid = f.aws_id()
    add("aws-access-key-id", f"2024-06-17 10:22:01 ERROR botocore.exceptions.ClientError: An error occurred (InvalidAccessKeyId) when calling the ListBuckets operation: The AWS Access Key Id {kid} does not exist in our records.", kid)
    sec = f.aws_secret()
    add("aws-secret-access-key", f"$ aws configure set aws_secret_access_key {sec} --profile staging", sec)
    kid, sec = f.aws_id(), f.aws_secret()
    add("aws-access-key-id", f"docker run -e AWS_ACCESS_KEY_ID={kid} -e AWS_SECRET_ACCESS_KEY={sec} amazon/aws-cli s3 ls", kid, sec)

    # Google Cloud
    key = "AIza" + f.s(B64URL, 35)
    add("gcp-api-key", f"$ curl 'https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={key}'", key)
    key = "AIza" + f.s(B64URL, 35)
    add("gcp-api-key", f'const firebaseConfig = {{\n  apiKey: "{key}",\n  authDomain: "demo-app.firebaseapp.com",\n  projectId: "demo-app",\n}};', key)
    key = "AIza" + f.s(B64URL, 35)
    add("gcp-api-key", f"GEMINI_API_KEY={key}", key)
    lines = f.pem_lines(26)
    pem = "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(lines) + "\\n-----END PRIVATE KEY-----\\n"
    sa = ('{\n  "type": "service_account",\n  "project_id": "demo-project-4711",\n  "private_key_id": "' + f.s(HEX, 40)
          + '",\n  "private_key": "' + pem + '",\n  "client_email": "ci@demo-project-4711.iam.gserviceaccount.com",\n  "client_id": "'
          + f.digits(21) + '",\n  "token_uri": "https://oauth2.googleapis.com/token"\n}')
    add("private-key", sa, *lines)
    sec = "GOCSPX-" + f.s(B64URL, 28)
    add("gcp-oauth-secret", f'{{"installed":{{"client_id":"{f.digits(12)}-{f.s(LOWER + DIGITS, 32)}.apps.googleusercontent.com","client_secret":"{sec}"}}}}', sec)
    tok = "ya29." + f.s(B64URL, 150)
    add("gcp-access-token", f"$ gcloud auth print-access-token\n{tok}\n", tok)

    # Azure
    key = f.s(B64, 86) + "=="
    add("azure-storage-key", f"AZURE_STORAGE_CONNECTION_STRING=\"DefaultEndpointsProtocol=https;AccountName=demostore;AccountKey={key};EndpointSuffix=core.windows.net\"", key)
    key = f.s(B64, 86) + "=="
    add("azure-storage-key", f'conn = BlobServiceClient.from_connection_string("DefaultEndpointsProtocol=https;AccountName=logs01;AccountKey={key}")', key)
    key = f.s(B64, 43) + "="
    add("azure-storage-key", f"Endpoint=sb://demo-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={key}", key)
    sig = f.s(ALNUM, 40) + "%3D"
    add("azure-sas-signature", f"GET https://demostore.blob.core.windows.net/backups/db.tar?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-07-01T00:00:00Z&sig={sig} 200", sig)
    sec = f.s(ALNUM, 3) + f.s(DIGITS, 1) + "Q~" + f.s(ALNUM + "_~.-", 34)
    add("azure-client-secret", f"az login --service-principal -u {f.s(HEX, 8)}-{f.s(HEX, 4)}-{f.s(HEX, 4)}-{f.s(HEX, 4)}-{f.s(HEX, 12)} -p {sec} --tenant contoso.onmicrosoft.com", sec)
    sec = f.s(ALNUM, 3) + f.s(DIGITS, 1) + "Q~" + f.s(ALNUM + "_~.-", 34)
    add("azure-client-secret", f"AZURE_CLIENT_SECRET={sec}", sec)

    # GitHub
    tok = f.github()
    add("github-token", f"$ git remote -v\norigin\thttps://{tok}@github.com/acme/widgets.git (fetch)\norigin\thttps://{tok}@github.com/acme/widgets.git (push)", tok)
    tok = f.github("ghs")
    add("github-token", f"git clone https://x-access-token:{tok}@github.com/acme/infra.git", tok)
    tok = f.github("gho")
    add("github-token", f"github.com:\n    user: octo-dev\n    oauth_token: {tok}\n    git_protocol: https\n", tok)
    tok = f.github("ghu")
    add("github-token", f"[2024-06-17T09:12:44Z] DEBUG refreshing installation token -> {tok} (expires in 8h)", tok)
    tok = f.github("ghr")
    add("github-token", f'{{"access_token": "{f.github("ghu")}", "refresh_token": "{tok}", "expires_in": 28800}}', tok)
    tok = f.github_pat()
    add("github-token", f'curl -H "Authorization: token {tok}" https://api.github.com/user/repos', tok)
    tok = f.github()
    add("github-token", f"export GITHUB_TOKEN={tok}", tok)
    tok = f.github()
    add("github-token", f'Traceback (most recent call last):\n  File "deploy.py", line 12, in <module>\n    gh = Github("{tok}")\ngithub.GithubException.BadCredentialsException: 401 {{"message": "Bad credentials"}}', tok)

    # GitLab
    tok = "glpat-" + f.s(B64URL, 20)
    add("gitlab-token", f'curl --header "PRIVATE-TOKEN: {tok}" "https://gitlab.example.com/api/v4/projects"', tok)
    tok = "glpat-" + f.s(B64URL, 20)
    add("gitlab-token", f"git push https://oauth2:{tok}@gitlab.com/acme/api.git main", tok)
    tok = "gldt-" + f.s(B64URL, 20)
    add("gitlab-token", f"variables:\n  DEPLOY_TOKEN: {tok}\n", tok)
    tok = "glrt-" + f.s(B64URL, 20)
    add("gitlab-token", f"gitlab-runner register --url https://gitlab.com --token {tok}", tok)

    # Slack
    tok = f"xoxb-{f.digits(12)}-{f.digits(13)}-{f.s(ALNUM, 24)}"
    add("slack-token", f'client = WebClient(token="{tok}")\nclient.chat_postMessage(channel="#deploys", text="done")', tok)
    tok = f"xoxp-{f.digits(12)}-{f.digits(12)}-{f.digits(13)}-{f.s(HEX, 32)}"
    add("slack-token", f"SLACK_USER_TOKEN={tok}", tok)
    tok = f"xapp-1-A{f.s(UPPER + DIGITS, 10)}-{f.digits(13)}-{f.s(HEX, 64)}"
    add("slack-token", f"socket mode app token: {tok}", tok)
    hook = f.s(ALNUM, 24)
    add("slack-webhook", f"curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deploy ok\"}}' https://hooks.slack.com/services/T{f.s(UPPER + DIGITS, 8)}/B{f.s(UPPER + DIGITS, 10)}/{hook}", hook)
    hook = f.s(ALNUM, 24)
    add("slack-webhook", f"alerting:\n  slack_url: https://hooks.slack.com/services/T{f.s(UPPER + DIGITS, 10)}/B{f.s(UPPER + DIGITS, 10)}/{hook}\n", hook)

    # Other chat
    hook = f.s(B64URL, 68)
    add("discord-webhook", f"DISCORD_WEBHOOK=https://discord.com/api/webhooks/{f.digits(18)}/{hook}", hook)
    tok = f"{f.digits(10)}:AA{f.s(B64URL, 33)}"
    add("telegram-bot-token", f"bot = telebot.TeleBot('{tok}')", tok)

    # Stripe
    key = "sk_live_" + f.s(ALNUM, 99)
    add("stripe-key", f'import stripe\nstripe.api_key = "{key}"\n', key)
    key = "rk_live_" + f.s(ALNUM, 99)
    add("stripe-key", f"STRIPE_RESTRICTED_KEY={key}", key)
    key = "sk_test_" + f.s(ALNUM, 24)
    add("stripe-key", f"curl https://api.stripe.com/v1/charges -u {key}: -d amount=2000 -d currency=usd", key)
    key = "whsec_" + f.s(ALNUM, 32)
    add("stripe-key", f"Ready! Your webhook signing secret is {key} (^C to quit)", key)

    # Package registries
    tok = "npm_" + f.s(ALNUM, 36)
    add("npm-token", f"$ cat ~/.npmrc\n//registry.npmjs.org/:_authToken={tok}\n", tok)
    tok = "npm_" + f.s(ALNUM, 36)
    add("npm-token", f"NPM_TOKEN={tok} npm publish --access public", tok)
    tok = "pypi-AgEIcHlwaS5vcmc" + f.s(B64URL, 160)
    add("pypi-token", f"[pypi]\n  username = __token__\n  password = {tok}\n", tok)
    tok = "pypi-AgEIcHlwaS5vcmc" + f.s(B64URL, 160)
    add("pypi-token", f"twine upload -u __token__ -p {tok} dist/*", tok)
    tok = "pypi-AgENdGVzdC5weXBpLm9yZw" + f.s(B64URL, 150)
    add("pypi-token", f"UV_PUBLISH_TOKEN={tok}", tok)

    # Model providers
    key = "sk-proj-" + f.s(B64URL, 156)
    add("openai-key", f"OPENAI_API_KEY={key}", key)
    key = "sk-" + f.s(ALNUM, 20) + "T3BlbkFJ" + f.s(ALNUM, 20)
    add("openai-key", f'openai.api_key = "{key}"', key)
    key = "sk-proj-" + f.s(B64URL, 156)
    add("openai-key", f'curl https://api.openai.com/v1/chat/completions -H "Content-Type: application/json" -H "Authorization: Bearer {key}" -d \'{{"model": "gpt-4o"}}\'', key)
    key = "sk-svcacct-" + f.s(B64URL, 156)
    add("openai-key", f'{{"env": {{"OPENAI_API_KEY": "{key}"}}}}', key)
    key = "sk-admin-" + f.s(B64URL, 100)
    add("openai-key", f"export OPENAI_ADMIN_KEY='{key}'", key)
    key = "sk-ant-api03-" + f.s(B64URL, 93) + "AA"
    add("anthropic-key", f"ANTHROPIC_API_KEY={key}", key)
    key = "sk-ant-api03-" + f.s(B64URL, 93) + "AA"
    add("anthropic-key", f'curl https://api.anthropic.com/v1/messages \\\n  --header "x-api-key: {key}" \\\n  --header "anthropic-version: 2023-06-01"', key)
    key = "sk-ant-oat01-" + f.s(B64URL, 93) + "AA"
    add("anthropic-key", f'{{"claudeAiOauth": {{"accessToken": "{key}", "expiresAt": 1718600000000}}}}', key)
    key = "sk-ant-admin01-" + f.s(B64URL, 93) + "AA"
    add("anthropic-key", f"anthropic.AuthenticationError: Error code: 401 - invalid x-api-key {key}", key)
    key = "sk-" + f.s(HEX, 32)
    add("api-key", f'client = OpenAI(api_key="{key}", base_url="https://api.deepseek.com")', key)
    key = "sk-or-v1-" + f.s(HEX, 64)
    add("openrouter-key", f"OPENROUTER_API_KEY={key}", key)
    key = "sk_" + f.s(HEX, 48)
    add("api-key", f"ELEVENLABS_API_KEY={key}", key)
    tok = "hf_" + f.s(UPPER + LOWER, 34)
    add("huggingface-token", f"$ huggingface-cli login --token {tok}", tok)
    tok = "hf_" + f.s(UPPER + LOWER, 34)
    add("huggingface-token", f"from huggingface_hub import login\nlogin(token=\"{tok}\")", tok)
    tok = "hf_" + f.s(UPPER + LOWER, 34)
    add("huggingface-token", f"HF_TOKEN={tok} python train.py --model meta-llama/Llama-3.1-8B", tok)
    tok = "api_org_" + f.s(UPPER + LOWER, 34)
    add("huggingface-token", f"org token: {tok}", tok)
    key = "gsk_" + f.s(ALNUM, 52)
    add("groq-key", f"GROQ_API_KEY={key}", key)
    key = "gsk_" + f.s(ALNUM, 52)
    add("groq-key", f'client = Groq(api_key="{key}")', key)
    tok = "r8_" + f.s(ALNUM, 37)
    add("replicate-token", f"export REPLICATE_API_TOKEN={tok}", tok)
    key = "xai-" + f.s(ALNUM, 80)
    add("xai-key", f"XAI_API_KEY={key}", key)
    key = "pplx-" + f.s(ALNUM, 48)
    add("perplexity-key", f'headers = {{"Authorization": "Bearer {key}"}}', key)
    key = f"lsv2_pt_{f.s(HEX, 32)}_{f.s(HEX, 10)}"
    add("langsmith-key", f"LANGSMITH_API_KEY={key}\nLANGSMITH_TRACING=true", key)
    key = "tvly-dev-" + f.s(ALNUM, 32)
    add("tavily-key", f"tavily = TavilyClient(api_key='{key}')", key)

    # Twilio, SendGrid, Mailgun
    sid, tok = "AC" + f.s(HEX, 32), f.s(HEX, 32)
    add("twilio-auth-token", f'client = Client("{sid}", "{tok}")', tok)
    sid, tok = "AC" + f.s(HEX, 32), f.s(HEX, 32)
    add("twilio-auth-token", f"curl -X POST https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json -u {sid}:{tok}", tok)
    tok = f.s(HEX, 32)
    add("token", f"TWILIO_ACCOUNT_SID=AC{f.s(HEX, 32)}\nTWILIO_AUTH_TOKEN={tok}", tok)
    key = "SK" + f.s(HEX, 32)
    add("twilio-key", f"TWILIO_API_KEY={key}\nTWILIO_API_SECRET={f.s(ALNUM, 32)}", key)
    key = f"SG.{f.s(B64URL, 22)}.{f.s(B64URL, 43)}"
    add("sendgrid-key", f"SENDGRID_API_KEY={key}", key)
    key = f"SG.{f.s(B64URL, 22)}.{f.s(B64URL, 43)}"
    add("sendgrid-key", f"sg = SendGridAPIClient('{key}')", key)
    key = "key-" + f.s(HEX, 32)
    add("mailgun-key", f"curl -s --user 'api:{key}' https://api.mailgun.net/v3/mg.example.com/messages", key)
    key = f"{f.s(HEX, 32)}-{f.s(HEX, 8)}-{f.s(HEX, 8)}"
    add("mailgun-key", f"MAILGUN_WEBHOOK_SIGNING_KEY={key}", key)

    # Other SaaS
    tok = "dop_v1_" + f.s(HEX, 64)
    add("digitalocean-token", f"doctl auth init --access-token {tok}", tok)
    tok = "shpat_" + f.s(HEX, 32)
    add("shopify-token", f"X-Shopify-Access-Token: {tok}", tok)
    key = "lin_api_" + f.s(ALNUM, 40)
    add("linear-key", f"LINEAR_API_KEY={key}", key)
    tok = "ntn_" + f.s(ALNUM, 46)
    add("notion-token", f'notion = Client(auth="{tok}")', tok)
    key = f"PMAK-{f.s(HEX, 24)}-{f.s(HEX, 34)}"
    add("postman-key", f"postman login --with-api-key {key}", key)
    tok = "dapi" + f.s(HEX, 32)
    add("databricks-token", f"[DEFAULT]\nhost  = https://adb-{f.digits(16)}.7.azuredatabricks.net\ntoken = {tok}\n", tok)
    key = "AGE-SECRET-KEY-1" + f.s(BECH32, 58)
    add("age-secret-key", f"# created: 2024-06-17T10:00:00Z\n# public key: age1{f.s(BECH32.lower(), 58)}\n{key}\n", key)

    # Private keys
    lines = f.pem_lines(25, "MIIE")
    add("private-key", "$ cat deploy.pem\n-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n$ chmod 600 deploy.pem", *lines)
    lines = [f.s(B64, 70) for _ in range(6)]
    lines[0] = "b3BlbnNzaC1rZXktdjEAAAAA" + lines[0][24:]
    add("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n", *lines)
    lines = f.pem_lines(4, "MHc")
    add("private-key", "key = '''-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----'''", *lines)
    lines = f.pem_lines(12, "lQ")
    add("private-key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n" + "\n".join(lines) + "\n=" + f.s(B64, 4) + "\n-----END PGP PRIVATE KEY BLOCK-----", *lines)
    lines = f.pem_lines(18, "MIIF")
    add("private-key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END ENCRYPTED PRIVATE KEY-----", *lines)
    lines = f.pem_lines(8, "MIIB")
    add("private-key", "-----BEGIN DSA PRIVATE KEY-----\r\n" + "\r\n".join(lines) + "\r\n-----END DSA PRIVATE KEY-----\r\n", *lines)
    lines = f.pem_lines(10, "MIIE")
    add("private-key", "tool output (truncated):\n-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines[:6]) + "\n[... 40 more lines]", *lines[:6])
    lines = f.pem_lines(6, "MIIE")
    add("private-key", 'TLS_KEY="-----BEGIN PRIVATE KEY----- ' + " ".join(lines) + ' -----END PRIVATE KEY-----"', *lines)
    lines = f.pem_lines(8, "MIIE")
    add("private-key", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," + f.s(HEX.upper(), 32) + "\n\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----", *lines)
    lines = [f.s(B64, 64) for _ in range(5)]
    add("private-key", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAI" + f.s(B64, 39) + "\nPrivate-Lines: 5\n" + "\n".join(lines) + "\nPrivate-MAC: " + f.s(HEX, 64), *lines)

    # JWTs
    tok = f.jwt()
    add("jwt", f'curl -H "Authorization: Bearer {tok}" https://api.internal.example/v1/me', tok)
    tok = f.jwt()
    add("jwt", f"Cookie: session={tok}; theme=dark", tok)
    tok = f.jwt()
    add("jwt", f'{{"id_token": "{tok}", "token_type": "Bearer", "expires_in": 3600}}', tok)
    tok = f.jwt()
    add("jwt", f"GET /callback?state=xyz&access_token={tok} HTTP/1.1", tok)
    tok = f.jwt()
    add("jwt", f"WARN  auth.middleware  rejected expired token {tok} for user 42", tok)
    tok = f.jwt()
    add("jwt", f"SUPABASE_SERVICE_ROLE_KEY={tok}", tok)

    # Passwords in URLs: only the password goes
    pw = f.password()
    add("url-password", f"DATABASE_URL=postgres://app_user:{pw}@db.internal:5432/app_prod", pw)
    pw = f.s(ALNUM, 24)
    add("url-password", f"mysql://root:{pw}@127.0.0.1:3306/shop", pw)
    pw = f.s(ALNUM, 32)
    add("url-password", f"REDIS_URL=redis://:{pw}@cache.internal:6379/0", pw)
    pw = f.s(ALNUM, 16)
    add("url-password", f'client = MongoClient("mongodb+srv://admin:{pw}@cluster0.ab1cd.mongodb.net/?retryWrites=true")', pw)
    pw = f.s(ALNUM, 12)
    add("url-password", f"amqp://guest_ops:{pw}@rabbit:5672/%2F", pw)
    pw = f.password()
    add("url-password", f"$ git remote add origin https://jdoe:{pw}@bitbucket.org/acme/site.git", pw)
    pw = f.s(ALNUM, 10) + "%40" + f.s(ALNUM, 6)
    add("url-password", f"ftp://backup:{pw}@files.example.net/nightly/", pw)
    pw = f.s(ALNUM, 8) + "@" + f.s(ALNUM, 8)
    add("url-password", f"sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server failed\n[SQL: postgresql://svc:{pw}@10.0.0.5/metrics]", pw)
    pw = f.s(ALNUM, 20)
    add("url-password", f"  environment:\n    - CELERY_BROKER_URL=amqp://celery:{pw}@rabbitmq:5672//\n", pw)
    pw = f.password()
    add("url-password", f"https://admin:{pw}@jenkins.internal/job/deploy/build", pw)

    # Settings whose name says secret
    pw = f.password()
    add("password", f"DB_HOST=localhost\nDB_USER=app\nDB_PASSWORD={pw}\nDB_NAME=app\n", pw)
    sec = f.s(ALNUM + "!@#%^*(-_=+", 50)
    add("secret", f"SECRET_KEY='{sec}'\nDEBUG=False", sec)
    sec = f.s(ALNUM, 64)
    add("secret", f"export JWT_SECRET=\"{sec}\"", sec)
    pw = f.password()
    add("password", f"spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/app\n    username: app\n    password: {pw}\n", pw)
    pw = f.password()
    add("password", f'{{\n  "host": "db.internal",\n  "user": "reporting",\n  "password": "{pw}"\n}}', pw)
    sec = f.s(ALNUM, 40)
    add("secret", f'{{"client_id": "{f.s(HEX, 20)}", "client_secret": "{sec}", "grant_type": "client_credentials"}}', sec)
    pw = f.password()
    add("password", f'conn = psycopg2.connect(host="db", user="etl", password="{pw}", dbname="warehouse")', pw)
    pw = f.password()
    add("password", f"mysqldump -u backup --password={pw} shop > shop.sql", pw)
    pw = f.password()
    add("password", f"docker run -d -e POSTGRES_PASSWORD={pw} -p 5432:5432 postgres:16", pw)
    pw = f.password()
    add("password", f"Server=tcp:sql01,1433;Database=Orders;User ID=svc_orders;Password={pw};Encrypt=True;", pw)
    pw = f.password()
    add("password", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\nstringData:\n  username: admin\n  password: \"{pw}\"\n", pw)
    pw = f.s(ALNUM, 14)
    add("password", f"$ mysql -h db.internal -u root -p{pw} -e 'SHOW DATABASES;'", pw)
    pw = f.password()
    add("password", f"PGPASSWORD={pw} psql -h localhost -U postgres -c 'select 1'", pw)
    tok = f.s(ALNUM, 40)
    add("token", f"GET https://api.example.com/v2/items?limit=50&access_token={tok}&page=2", tok)
    key = f.s(HEX, 32)
    add("api-key", f'curl -H "X-API-Key: {key}" https://api.example.com/v1/stats', key)
    key = f.s(HEX, 32)
    add("api-key", f"curl https://demo.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-02-01 -H 'api-key: {key}'", key)
    pw = f.password()
    add("password", f'<connection>\n  <user>svc</user>\n  <password>{pw}</password>\n</connection>', pw)
    pw = f.password()
    add("password", f"$ ./manage.py createsuperuser --username admin --password {pw}", pw)
    tok = f.s(ALNUM, 32)
    add("token", f"vault login -method=token --token {tok}", tok)
    pw = f.password()
    add("password", f"sshpass -p '{pw}' ssh deploy@10.1.2.3 uptime", pw)
    pw = f.password()
    add("password", f"$ curl -u admin:{pw} http://localhost:9200/_cluster/health", pw)
    sec = f.s(ALNUM, 32)
    add("secret", f"settings = {{\n    'webhook_secret': '{sec}',\n    'timeout': 30,\n}}", sec)
    key = f.s(ALNUM, 32)
    add("api-key", f"const apiKey = \"{key}\";", key)
    pw = f.password()
    add("password", f"  File \"/app/settings.py\", line 14, in <module>\n    DATABASE_PASSWORD = \"{pw}\"\nNameError: name 'env' is not defined", pw)
    tok = f.s(ALNUM, 36)
    add("token", f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://api.example.com/export?token={tok}", tok)
    sec = f.s(ALNUM, 24)
    add("secret", f"resource \"aws_db_instance\" \"main\" {{\n  master_secret = \"{sec}\"\n}}", sec)
    sec = f.s(B64, 44)
    add("secret", f"ENCRYPTION_KEY={sec}", sec)
    pw = f.password()
    add("password", f'"{{\\"username\\": \\"ops\\", \\"password\\": \\"{pw}\\"}}"', pw)
    pw = f.password()
    add("password", f"tool_result: \"DB_USER=ops\\nDB_PASSWORD={pw}\\nDB_PORT=5432\"", pw)
    pw = f.password()
    add("password", f"$pdo = new PDO($dsn, 'app', 'x');\n$config['password'] => '{pw}';", pw)
    tok = f.s(ALNUM, 32)
    add("token", f"Cookie: csrftoken={tok}; sessionid=abc", tok)
    pw = f.password()
    add("password", f"db_password: {pw}  # rotated 2024-05", pw)
    pw = f.s(LOWER, 12)
    add("password", f"MYSQL_ROOT_PASSWORD={pw}", pw)
    tok = f.s(ALNUM, 48)
    add("token", f"  refreshToken: '{tok}',", tok)

    # Authorization headers without a recognisable token format
    tok = f.s(ALNUM + "._-", 48)
    add("auth-header", f"> GET /api/v1/orders HTTP/1.1\n> Host: shop.example.com\n> Authorization: Bearer {tok}\n> Accept: */*", tok)
    cred = base64.b64encode(f"deploy:{f.password()}".encode()).decode()
    add("auth-header", f'curl -H "Authorization: Basic {cred}" https://registry.example.com/v2/_catalog', cred)
    tok = f.s(ALNUM, 40)
    add("auth-header", f'headers = {{"Authorization": "Token {tok}"}}', tok)
    tok = f.s(ALNUM, 40)
    add("auth-header", f"Proxy-Authorization: Bearer {tok}", tok)
    tok = f.s(ALNUM + "-_", 60)
    add("bearer-token", f"use bearer: Bearer {tok} for the staging API", tok)

    # Credential files and command lines
    pw = f.password()
    add("password", f"machine api.example.com\n  login deploy\n  password {pw}\n", pw)
    pw = f.password()
    add("password", f"$ cat ~/.pgpass\ndb.internal:5432:app:app_user:{pw}\n*:*:*:replicator:{f.s(ALNUM, 16)}", pw)
    pw = f.password()
    add("password", f"echo ok && docker login -u ci-bot -p {pw} registry.example.com", pw)
    pw = f.password()
    add("password", f"redis-cli -h cache.internal -p 6379 -a {pw} ping", pw)
    pw = f.password()
    add("password", f'resp = requests.get(url, auth=("svc-reports", "{pw}"), timeout=10)', pw)
    pw = f.password()
    add("password", f"session.auth = HTTPBasicAuth('svc', '{pw}')", pw)
    pw = f.password()
    add("password", f"openssl pkcs12 -export -in cert.pem -inkey key.pem -out cert.p12 -passout pass:{pw}", pw)
    pw = f.password()
    add("password", f"kubectl create secret generic db --from-literal=username=app --from-literal=password={pw}", pw)
    pw = f.password()
    add("password", f"ALTER USER app_rw WITH ENCRYPTED PASSWORD '{pw}';", pw)
    pw = f.password()
    add("password", f"CREATE USER 'shop'@'%' IDENTIFIED BY '{pw}';", pw)
    pw = f.password()
    add("url-password", f"git clone https://ci-bot:{pw[:6]}#{pw[6:]}@git.example.com/team/repo.git", f"{pw[:6]}#{pw[6:]}")
    key = f.s(ALNUM, 32)
    add("api-key", f'os.Setenv("PAYMENTS_API_KEY", "{key}")', key)
    key = f.s(ALNUM, 40)
    add("api-key", f'os.environ["INTERNAL_API_KEY"] = "{key}"', key)
    sec = f.s(B64, 28) + "=="
    add("secret", f"registry=https://npm.example.com/\n_auth={sec}\nalways-auth=true", sec)
    sec = f.s(B64, 40) + "="
    add("secret", f'{{"auths": {{"ghcr.io": {{"auth": "{sec}"}}}}}}', sec)
    key = f.s(ALNUM, 30)
    add("api-key", f"env:\n  - name: API_KEY\n    value: \"{key}\"\n  - name: LOG_LEVEL\n    value: info", key)
    pw = f.password()
    add("password", f'"environment": [{{"name": "DB_PASSWORD", "value": "{pw}"}}, {{"name": "PORT", "value": "8080"}}]', pw)
    pw = f.password()
    add("password", f'<appSettings>\n  <add key="DbPassword" value="{pw}" />\n</appSettings>', pw)
    sec = f.s(HEX, 64)
    add("secret", f"PRIVATE_KEY=0x{sec}", sec)
    pw = f.password()
    add("password", f"wget --http-user=ci --http-password={pw} https://files.example.com/a.zip", pw)
    key = f.s(ALNUM, 26) + "7Qa"
    add("api-key", f"OPENWEATHER_KEY={key}", key)
    sec = f.s(ALNUM, 40)
    add("secret", f"gh secret set NPM_TOKEN --body {sec} --repo acme/widgets", sec)

    # Second held-out batch: contexts written before the rules that now catch them
    pw = f.password()
    add("password", f"[client]\nuser=root\npassword={pw}\n", pw)
    tok = f.s(ALNUM, 14) + ".atlasv1." + f.s(ALNUM, 60)
    add("terraform-token", f'credentials "app.terraform.io" {{\n  token = "{tok}"\n}}', tok)
    tok = f.github()
    add("github-token", f"- uses: actions/checkout@v4\n  with:\n    token: {tok}", tok)
    tok = f.s(ALNUM, 40)
    add("token", f"SENTRY_AUTH_TOKEN={tok}", tok)
    tok = f.s(HEX, 36)
    add("token", f"CODECOV_TOKEN: {tok}", tok)
    pw = f.password()
    add("password", f"ansible_become_password: {pw}", pw)
    tok = f.s(ALNUM, 48)
    add("token", f'{{"type": "oauth", "refresh_token": "{tok}"}}', tok)
    tok = f"xoxb-{f.digits(12)}-{f.digits(13)}-{f.s(ALNUM, 24)}"
    add("slack-token", f"curl -d 'token={tok}&channel=C1' https://slack.com/api/chat.postMessage", tok)
    sec = f.s(ALNUM, 30)
    add("secret", f"app.config['SECRET_KEY'] = '{sec}'", sec)
    sec = f.s(HEX, 64)
    add("secret", f'Rails.application.credentials.secret_key_base = "{sec}"', sec)
    lines = f.pem_lines(5, "MIIE")
    add("private-key", "private_key = <<EOF\n-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\nEOF", *lines)
    key = "sk-ant-api03-" + f.s(B64URL, 93) + "AA"
    add("anthropic-key", f"claude --api-key {key}", key)
    tok = "hf_" + f.s(UPPER + LOWER, 34)
    add("huggingface-token", f"git clone https://user:{tok}@huggingface.co/meta-llama/Llama-3.1-8B", tok)
    pw = f.password()
    add("url-password", f"mongodb://admin:{pw}@mongo-0.mongo,mongo-1.mongo:27017/?replicaSet=rs0", pw)
    key = f.s(HEX, 32)
    add("api-key", f"datadog:\n  api_key: {key}\n  site: datadoghq.eu", key)
    tok = f.s(ALNUM, 40)
    add("token", f"curl -H 'Circle-Token: {tok}' https://circleci.com/api/v2/me", tok)
    cases += _prefixed_tokens(Fake(SEED + 11))  # their own stream: the cases above stay as they were
    return cases


def _prefixed_tokens(f: Fake) -> list[dict]:
    """Infrastructure, CI and SaaS tokens with distinctive prefixes (added for issue 11)."""
    made = [
        ("vault-token", "hvs." + f.s(B64URL, 91), "export VAULT_TOKEN={t}"),
        ("doppler-token", "dp.st." + f.s(ALNUM, 43), "doppler run --token {t} -- ./app"),
        ("atlassian-token", "ATATT3xFfGF0" + f.s(B64URL, 180) + "=" + f.s(UPPER + DIGITS, 8), "curl -u me@acme.io:{t} https://acme.atlassian.net/rest/api/3/myself"),
        ("bitbucket-token", "ATBB" + f.s(ALNUM, 32), "BITBUCKET_APP_PASSWORD {t}"),
        ("supabase-token", "sbp_" + f.s(HEX, 40), "supabase login --token {t}"),
        ("netlify-token", "nfp_" + f.s(ALNUM, 36), "netlify deploy --auth {t}"),
        ("sentry-token", "sntryu_" + f.s(HEX, 64), "sentry-cli --auth-token {t} releases list"),
        ("grafana-token", "glsa_" + f.s(ALNUM, 32) + "_" + f.s(HEX, 8), "grafana: {t}"),
        ("newrelic-key", "NRAK-" + f.s(UPPER + DIGITS, 27), "newrelic profile add --apiKey {t}"),
        ("docker-token", "dckr_pat_" + f.s(B64URL, 27), "echo {t} | docker login -u acme --password-stdin"),
        ("pulumi-token", "pul-" + f.s(HEX, 40), "PULUMI_ACCESS_TOKEN: {t}"),
        ("terraform-token", f.s(ALNUM, 14) + ".atlasv1." + f.s(B64URL, 67), 'credentials "app.terraform.io" {{ token = "{t}" }}'),
        ("planetscale-token", "pscale_tkn_" + f.s(B64URL, 43), "pscale auth login --service-token {t}"),
        ("figma-token", "figd_" + f.s(B64URL, 40), "X-Figma-Token: {t}"),
        ("tailscale-key", "tskey-auth-" + f.s(ALNUM, 12) + "-" + f.s(ALNUM, 33), "tailscale up --authkey={t}"),
        ("pinecone-key", "pcsk_" + f.s(ALNUM, 6) + "_" + f.s(ALNUM, 60), "pc = Pinecone(api_key='{t}')"),
        ("buildkite-token", "bkua_" + f.s(HEX, 40), "buildkite-agent start --token {t}"),
        ("circleci-token", "CCIPAT_" + f.s(ALNUM, 22) + "_" + f.s(HEX, 40), "circleci setup --token {t}"),
        ("sonarqube-token", "squ_" + f.s(HEX, 40), "sonar-scanner -Dsonar.token={t}"),
        ("square-token", "sq0atp-" + f.s(B64URL, 22), "SQUARE_ACCESS_TOKEN {t}"),
        ("jfrog-token", "AKCp" + f.s(ALNUM, 69), "jf c add --access-token {t}"),
        ("mapbox-token", "sk.eyJ" + f.s(B64URL, 60) + "." + f.s(B64URL, 22), "MAPBOX_SECRET {t}"),
        ("flyio-token", "FlyV1 fm2_" + f.s(B64URL, 120), "fly deploy --access-token '{t}'"),
        ("razorpay-key", "rzp_live_" + f.s(ALNUM, 14), "key_id: {t}"),
        ("resend-key", "re_" + f.s(ALNUM, 8) + "_" + f.s(ALNUM, 24), "resend.api_key = '{t}'"),
        ("1password-token", "ops_eyJ" + f.s(B64URL, 200), "OP_SERVICE_ACCOUNT_TOKEN {t}"),
        ("vault-token", "hvb." + f.s(B64URL, 120), "vault login {t}"),
        ("sentry-token", "sntrys_eyJ" + f.s(B64URL, 80), "SENTRY_AUTH_TOKEN {t}"),
        ("grafana-token", "glc_" + f.s(ALNUM, 60) + "==", "grafana cloud token {t}"),
    ]
    return [{"text": template.format(t=tok), "secrets": [tok.removeprefix("FlyV1 ")], "kind": kind}
            for kind, tok, template in made]


def lookalike_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str) -> None:
        cases.append({"text": text, "kind": kind})

    sha = f.s(HEX, 40)
    add("git-sha", f"commit {sha}\nAuthor: Jane Doe <jane@example.com>\nDate:   Mon Jun 17 10:00:00 2024 +0200\n\n    Fix token refresh race")
    add("git-sha", "\n".join(f"{f.s(HEX, 7)} {msg}" for msg in ["Add secret rotation docs", "Bump deps", "Fix password reset flow", "Remove API key from logs"]))
    add("git-sha", f"HEAD is now at {f.s(HEX, 12)} Merge pull request #42 from acme/token-cache")
    add("git-sha", f"{f.s(HEX, 40)}\trefs/heads/main\n{f.s(HEX, 40)}\trefs/tags/v1.2.0")
    add("git-sha", f"index {f.s(HEX, 7)}..{f.s(HEX, 7)} 100644\n--- a/app/auth.py\n+++ b/app/auth.py")
    add("git-sha", f"Merge: {f.s(HEX, 7)} {f.s(HEX, 7)}")
    uuid = lambda: f"{f.s(HEX, 8)}-{f.s(HEX, 4)}-4{f.s(HEX, 3)}-a{f.s(HEX, 3)}-{f.s(HEX, 12)}"  # noqa: E731
    add("uuid", f"request_id={uuid()} user_id={uuid()}")
    add("uuid", f'{{"id": "{uuid()}", "tenant": "{uuid()}"}}')
    add("uuid", f"SELECT * FROM orders WHERE customer_id = '{uuid().upper()}';")
    add("uuid", f"trace {uuid().replace('-', '')} span {f.s(HEX, 16)}")
    add("checksum", f"{f.s(HEX, 64)}  dist/farm-0.1.0-py3-none-any.whl")
    add("checksum", f"MD5 ({'archive.tar.gz'}) = {f.s(HEX, 32)}")
    add("checksum", f"sha256:{f.s(HEX, 64)}")
    add("checksum", f"SHA1: {f.s(HEX, 40).upper()}")
    add("checksum", f"etag: \"{f.s(HEX, 32)}\"")
    add("checksum", f"--hash=sha256:{f.s(HEX, 64)} \\\n    --hash=sha256:{f.s(HEX, 64)}")
    add("npm-integrity", f'"integrity": "sha512-{f.s(B64, 86)}=="')
    add("npm-integrity", f"  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#{f.s(HEX, 40)}\"\n  integrity sha512-{f.s(B64, 86)}==")
    add("docker-digest", f"python@sha256:{f.s(HEX, 64)}")
    add("docker-digest", f"Digest: sha256:{f.s(HEX, 64)}\nStatus: Downloaded newer image for ghcr.io/acme/api:1.4.2")
    add("docker-digest", f"FROM node:20-alpine@sha256:{f.s(HEX, 64)} AS build")
    png = base64.b64encode(bytes(f.r.randrange(256) for _ in range(600))).decode()
    add("base64-image", f'<img alt="chart" src="data:image/png;base64,{png}">')
    add("base64-image", f"background-image: url(data:image/gif;base64,{base64.b64encode(bytes(f.r.randrange(256) for _ in range(90))).decode()});")
    add("placeholder", "OPENAI_API_KEY=sk-...")
    add("placeholder", "export OPENAI_API_KEY=YOUR_API_KEY")
    add("placeholder", 'curl -H "Authorization: Bearer <token>" https://api.example.com')
    add("placeholder", 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com')
    add("placeholder", "GITHUB_TOKEN=${GITHUB_TOKEN}")
    add("placeholder", "      - run: gh release create\n        env:\n          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}")
    add("placeholder", "password: changeme")
    add("placeholder", 'DB_PASSWORD=""')
    add("placeholder", "PASSWORD=")
    add("placeholder", '{"password": "password", "api_key": "xxxx"}')
    add("placeholder", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    add("placeholder", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    add("placeholder", "ANTHROPIC_API_KEY=sk-ant-your-key-here")
    add("placeholder", "Incorrect API key provided: sk-proj-********************************************abcd.")
    add("placeholder", "api_key = os.environ[\"OPENAI_API_KEY\"]")
    add("placeholder", "token = os.getenv('GITHUB_TOKEN')")
    add("placeholder", "SECRET_KEY = env('DJANGO_SECRET_KEY')")
    add("placeholder", "postgres://user:password@localhost:5432/db")
    add("placeholder", "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app")
    add("placeholder", "--password <password>  The account password")
    add("placeholder", "Password: ********")
    add("placeholder", "mysql -u root -p")
    add("placeholder", "STRIPE_SECRET_KEY=sk_test_XXXXXXXXXXXXXXXXXXXXXXXX")
    add("placeholder", 'client_secret: "{{ vault_client_secret }}"')
    add("placeholder", "private_key: |\n  -----BEGIN PRIVATE KEY-----\n  ...\n  -----END PRIVATE KEY-----")
    add("placeholder", "The file must start with -----BEGIN OPENSSH PRIVATE KEY----- and end with the END line.")
    add("version", "numpy==1.26.4 pandas>=2.2.0,<3 torch==2.3.1+cu121")
    add("version", "v1.2.3-rc.1+build.20240617 go1.22.4 linux/amd64")
    add("version", "Python 3.11.7 (main, Dec  8 2023, 18:56:58) [GCC 12.2.0] on linux")
    add("identifier", 'className="tw-flex tw-items-center tw-justify-between bg-gradient-to-r from-indigo-500 via-purple-500 to-pink-500 css-1q2w3e4r5t6y7u8i"')
    add("identifier", ".navigation-menu__item--active-with-very-long-modifier-name { color: red; }")
    add("identifier", "def get_access_token_from_refresh_token_and_password(self, refresh_token, password):")
    add("identifier", "tokenizer = AutoTokenizer.from_pretrained(\"meta-llama/Llama-3.1-8B-Instruct\")")
    add("identifier", "response = client.messages.create(model=\"claude-3-5-sonnet-20241022\", max_tokens=4096)")
    add("identifier", "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())\nif not password:\n    raise ValueError('empty')")
    add("identifier", "def login(username: str, password: str, token: Optional[str] = None) -> Session:")
    add("identifier", "token = request.headers.get(\"Authorization\")\nsecret = secrets.token_hex(32)")
    add("identifier", "interface Credentials {\n  username: string;\n  password: string;\n  apiKey?: string;\n}")
    add("identifier", "const { password, token } = req.body;\nawait db.users.update({ password: hash, token: null });")
    add("identifier", "hf_hub_download_with_retries_and_backoff_enabled = True")
    add("identifier", "from sklearn.ensemble import RandomForestClassifier  # sk-learn-compatible-estimator-interface")
    add("identifier", "the risk-assessment-framework-document is in the task-management-system-overview")
    add("identifier", "keyboard_layout = \"us\"\nmonkey_patch = True\ncache_key = f\"user:{user_id}\"")
    add("identifier", "max_tokens: 4096\nTOKEN_LIMIT=8000\nPASSWORD_MIN_LENGTH=12\ntoken_type: Bearer\nexpires_in: 3600")
    add("identifier", "secretName: db-credentials\nsecretKeyRef:\n  name: db\n  key: password")
    add("identifier", "AWS_SECRET_ACCESS_KEY_FILE=/run/secrets/aws_key\nGOOGLE_APPLICATION_CREDENTIALS=/etc/gcp/sa.json")
    add("identifier", "aws_access_key_id = credentials.access_key\naws_secret_access_key = credentials.secret_key")
    add("identifier", "ghp_ tokens are classic PATs; github_pat_ tokens are fine-grained. sk-ant- keys belong to Anthropic.")
    add("url", "https://github.com/acme/widgets.git\ngit@github.com:acme/widgets.git\nssh://git@gitlab.com:22/acme/api.git")
    add("url", "postgres://localhost:5432/app\nhttp://[::1]:8080/health\nhttps://user@example.com/profile")
    add("url", "https://example.com/search?q=token&page=2&sort=desc#results")
    add("url", "https://hooks.slack.com/services/ is where incoming webhooks live")
    add("url", "mailto:security@example.com?subject=password%20reset")
    add("public-key", f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{f.s(B64, 43)} jane@laptop")
    add("public-key", "-----BEGIN PUBLIC KEY-----\n" + "\n".join(f.s(B64, 64) for _ in range(4)) + "\n-----END PUBLIC KEY-----")
    add("public-key", "-----BEGIN CERTIFICATE-----\n" + "\n".join(f.s(B64, 64) for _ in range(6)) + "\n-----END CERTIFICATE-----")
    add("public-key", f"STRIPE_PUBLISHABLE_KEY=pk_live_{f.s(ALNUM, 24)}")
    add("identifier", f"Twilio account: AC{f.s(HEX, 32)}")
    add("prose", "To rotate the password, open Settings, choose Security and click Reset token. The API key is shown once.")
    add("prose", "Das Passwort wurde geändert. Le mot de passe est trop court. パスワードを変更しました 🔑")
    add("prose", "We use a Bearer token in the Authorization header; see RFC 6750.")
    add("prose", "error: secret key must be 32 bytes, got 16")
    add("base64-json", "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ is the header of the token we decoded")
    add("log", f"2024-06-17T10:00:00.123Z INFO  request completed status=200 duration_ms=41 bytes=1834 trace={f.s(HEX, 32)}")
    add("log", "WARN  retrying in 2s (attempt 3/5): connection reset by peer")
    add("numbers", f"card ending 4242, order #{f.digits(10)}, phone +1 555 0100")
    # False alarms once raised by real code and docs
    add("code", "if token == \"with\" and (\n    compromise.token == claim.token:")
    add("code", 'Token:                      "#d8dee9",\nToken.Comment:              "italic #A3AAB2",')
    add("code", "our_role: If you're implementing a client, pass :data:`h11.CLIENT`.")
    add("code", "information can be provided via the --username and --password options")
    add("code", '*funcs, pass_result_to_next_func=ghost in ("idempotent", "roundtrip")')
    add("code", '"password": "string?",\n"passphrase": "string?",')
    add("code", "token: _StrPathToken\nwithCredentials: kEnumerableProperty")
    add("code", "const SOCKS5_NO_ACCEPTABLE_AUTH = 0xff;\nexports.Socks5Auth = Socks5Auth = {};")
    add("code", "#password_encryption = scram-sha-256\t# scram-sha-256 or md5")
    add("code", "scryptSync('password', 'salt', 64)\nfields = [\"password\", \"email\", \"token_hash\"]")
    add("code", "_PassArg.context: \"context\",\n_PassArg.eval_context: \"context.eval_ctx\",")
    add("code", "docker login --username ci --password-stdin < token.txt\nnpm login -p")
    add("code", "authorization = self.headers.get(\"authorization\")\nauthorization = base64.decodebytes(authorization).decode()")
    add("code", "user_pass = '%s:%s' % (unquote(user), unquote(passwd))")
    add("code", "'pass': 'The \"pass\" statement\\n',")
    add("code", "'Test2::Event::Pass'    => '1.302103',\nmy $out = $as->{pass} ? \"PASS\" : \"FAIL\";")
    add("code", "$auth = X11::Auth->new;\n*all_children_pass = *all_children_are;\n\"-auth=anonymous:$FROM_EMAIL\",")
    add("code", "SORT_KEY=created_at\nIDEMPOTENCY_KEY=550e8400-e29b-41d4-a716-446655440000\nCACHE_KEY=3f2a9c1b4d5e6f7a8b9c0d1e2f3a4b5c\nS3_KEY=uploads/2024/Report2024Final.pdf")
    add("code", "token_budget = 200_000\nmax_input_tokens = 8192\nkeys = list(config.keys())")
    add("code", "if password != confirm_password:\n    raise ValidationError('passwords differ')")
    add("code", "password = getpass.getpass('Password: ')\nconst apiKey = process.env.API_KEY ?? '';")
    add("config", "password_reset_expiry: 3600\ntoken_ttl_seconds: 900\nKEY_LENGTH=32\nSECRET_ROTATION_DAYS=90")
    add("prose", "Authorization header missing; pass --token or set GITHUB_TOKEN")
    add("prose", "The secret to good tests is determinism: seed every generator.")
    add("checksum", "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC")
    add("base64-json", "data:application/json;base64,eyJuYW1lIjoiZmFybSIsInZlcnNpb24iOiIwLjEuMCJ9")
    add("log", "INFO  rotated key id=7f3e2a token_prefix=ghp_ (redacted)\nnonce=8c1f0e5a2b7d4c3e9f6a1b0c; state=af0ifjsldkj")
    add("command", "kubectl get secret db-credentials -o jsonpath='{.data.password}' | base64 -d\nssh -i ~/.ssh/id_ed25519 -p 2222 deploy@10.0.0.5")
    return cases


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def build() -> tuple[list[dict], list[dict]]:
    fake = Fake(SEED)
    return secret_cases(fake), lookalike_cases(fake)


if __name__ == "__main__":
    secrets, lookalikes = build()
    write(HERE / "secrets.jsonl", secrets)
    write(HERE / "lookalikes.jsonl", lookalikes)
    print(f"{len(secrets)} secret cases, {len(lookalikes)} look-alikes")
