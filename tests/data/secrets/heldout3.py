"""Write the THIRD held-out redaction corpus: heldout3_secrets.jsonl and heldout3_lookalikes.jsonl.

Written after every rule change of issue 11 and run once before any fix, with its own seed
and templates: tool command lines (kubectl, openssl, keytool, zip, smbclient, ldapsearch,
htpasswd), client configs (.netrc, docker config.json, git credentials), code in several
languages, and chat-style pastes. Run: python tests/data/secrets/heldout3.py
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import ALNUM, B64URL, HEX, LOWER, Fake, write  # noqa: E402

SEED = 3_1204_2026


def secret_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str, *secrets: str) -> None:
        cases.append({"text": text, "secrets": list(secrets), "kind": kind})

    for _ in range(3):
        pw = f.password()
        add("password", f"kubectl create secret generic db --from-literal=password={pw}", pw)
        pw = f.password()
        add("password", f"openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:{pw}", pw)
        pw = f.password()
        add("password", f"keytool -importcert -keystore ks.jks -storepass {pw} -file ca.crt", pw)
        pw = f.password()
        add("password", f"smbclient //files/share -U backup%{pw} -c ls", pw)
        pw = f.password()
        add("password", f"ldapsearch -x -D cn=admin,dc=acme -w {pw} -b dc=acme", pw)
        pw = f.password()
        add("password", f"htpasswd -bc .htpasswd admin {pw}", pw)
        pw = f.password()
        add("password", f"machine api.acme.io\n  login bot\n  password {pw}\n", pw)
        user, pw = "ci", f.password()
        auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
        add("secret", f'{{"auths": {{"registry.acme.io": {{"auth": "{auth}"}}}}}}', auth)
        pw = f.password()
        add("url-password", f"https://bot:{pw}@git.acme.io\n", pw)
        pw = f.password()
        add("password", f'requests.get(url, auth=("admin", "{pw}"))', pw)
        pw = f.password()
        add("password", f'const pool = new Pool({{ user: "app", password: "{pw}" }});', pw)
        pw = f.password()
        add("password", f'db, err := sql.Open("postgres", "user=app password={pw} host=db")', pw)
        pw = f.password()
        add("password", f"export TF_VAR_db_password='{pw}'", pw)
        tok = f.s(HEX, 8) + "-" + f.s(HEX, 4) + "-" + f.s(HEX, 4) + "-" + f.s(HEX, 4) + "-" + f.s(HEX, 12)
        add("api-key", f"HEROKU_API_KEY={tok}", tok)
        tok = f.github()
        add("github-token", f"me: here is my token {tok} can you push for me?", tok)
        tok = "xoxb-" + f.digits(12) + "-" + f.digits(12) + "-" + f.s(ALNUM, 24)
        add("slack-token", f"curl -X POST -H 'Authorization: Bearer {tok}' https://slack.com/api/chat.postMessage", tok)
        key = "sk-" + f.s(ALNUM, 48)
        add("api-key", f"OPENAI_API_KEY={key}", key)
        tok = f.s(B64URL, 40)
        add("token", f"  headers:\n    X-Auth-Token: {tok}\n", tok)
        tok = f.s(ALNUM, 32)
        add("api-key", f"https://api.acme.io/v1/search?api_key={tok}&q=x", tok)
        sec = f.s(ALNUM, 24)
        add("secret", f"app.config['SECRET_KEY'] = '{sec}'", sec)
    return cases


def lookalike_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str) -> None:
        cases.append({"text": text, "kind": kind})

    for _ in range(3):
        add("command", "kubectl create secret generic db --from-file=password=./pw.txt")
        add("command", "openssl pkcs12 -export -in c.pem -out c.p12 -passout env:P12_PASSWORD")
        add("command", "keytool -list -keystore ks.jks")
        add("command", "ldapsearch -x -W -D cn=admin,dc=acme")
        add("command", "smbclient //files/share -U backup -c ls")
        add("config", "machine api.acme.io\n  login bot\n")
        add("code", "requests.get(url, auth=(user, password))")
        add("code", "const pool = new Pool({ user: 'app', password: process.env.PGPASSWORD });")
        add("code", f"commit_sha = '{f.s(HEX, 40)}'")
        add("code", f"id = '{f.s(HEX, 8)}-{f.s(HEX, 4)}-{f.s(HEX, 4)}-{f.s(HEX, 4)}-{f.s(HEX, 12)}'")
        add("url", f"https://api.acme.io/v1/search?q={f.s(LOWER, 8)}&page=3")
        add("prose", "Rotate the HEROKU_API_KEY and the registry auth after the incident.")
        add("prose", "The agent printed the password prompt twice, then gave up.")
        add("log", f"GET /v1/items/{f.s(HEX, 24)} 200 12ms")
        add("config", "SECRET_KEY = os.environ['SECRET_KEY']")
    return cases


def build() -> tuple[list[dict], list[dict]]:
    fake = Fake(SEED)
    return secret_cases(fake), lookalike_cases(fake)


if __name__ == "__main__":
    secrets, lookalikes = build()
    write(HERE / "heldout3_secrets.jsonl", secrets)
    write(HERE / "heldout3_lookalikes.jsonl", lookalikes)
    print(f"{len(secrets)} held-out (3) secret cases, {len(lookalikes)} look-alikes")
