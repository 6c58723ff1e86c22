"""Write the SECOND held-out redaction corpus: heldout2_secrets.jsonl and heldout2_lookalikes.jsonl.

heldout.py was looked at while redact.py was tuned for issue 11 (its misses named the gaps),
so it no longer judges that tuning. This batch was written after the tuning, with its own seed
and templates (CI files, code, headers, tool configs, pasted terminal sessions), and was run
once to report on, never tuned on. Run: python tests/data/secrets/heldout2.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import ALNUM, B64, B64URL, HEX, LOWER, UPPER, Fake, write  # noqa: E402

SEED = 20261204_2


def secret_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str, *secrets: str) -> None:
        cases.append({"text": text, "secrets": list(secrets), "kind": kind})

    for _ in range(3):
        tok = f.github()
        add("github-token", f"- name: push\n  run: git push https://{tok}@github.com/acme/x.git\n", tok)
        tok = "glpat-" + f.s(B64URL, 20)
        add("gitlab-token", f'variables:\n  GITLAB_TOKEN: "{tok}"\n', tok)
        tok = "npm_" + f.s(ALNUM, 36)
        add("npm-token", f"//registry.npmjs.org/:_authToken={tok}\n", tok)
        key = "sk-proj-" + f.s(B64URL, 56)
        add("openai-key", f'client = OpenAI(api_key="{key}")', key)
        key = "sk-ant-api03-" + f.s(B64URL, 90)
        add("anthropic-key", f"anthropic.Anthropic(api_key='{key}')", key)
        tok = f"xoxp-{f.digits(11)}-{f.digits(12)}-{f.digits(13)}-{f.s(HEX, 32)}"
        add("slack-token", f"SLACK_USER_TOKEN: {tok}", tok)
        key = f.s(ALNUM, 40)
        add("api-key", f'curl -H "X-API-Key: {key}" https://api.acme.io/v1/me', key)
        key = "AIza" + f.s(B64URL, 35)
        add("gcp-api-key", f'<meta name="maps-key" content="{key}">', key)
        kid, sec = f.aws_id(), f.aws_secret()
        add("aws-secret-access-key", f'resource "aws" {{\n  access_key = "{kid}"\n  secret_key = "{sec}"\n}}', kid, sec)
        pw = f.password()
        add("password", f"ENV POSTGRES_PASSWORD={pw}", pw)
        pw = f.password()
        add("password", f'apiVersion: v1\nkind: Secret\nstringData:\n  password: "{pw}"\n', pw)
        pw = f.password()
        add("password", f"$ mysql -h 127.0.0.1 -uroot -p'{pw}'\nmysql: [Warning] Using a password on the command line", pw)
        pw = f.password()
        add("password", f"$ printf '%s\\n' '{pw}' | sudo -S make install", pw)
        pw = f.password()
        add("url-password", f"amqp://guest:{pw}@rabbit.internal:5672/vhost", pw)
        pw = f.password()
        add("url-password", f"Cloning into 'x'...\nfatal: unable to access 'https://deploy:{pw}@git.acme.io/x.git/': 403", pw)
        tok = f.jwt()
        add("jwt", f'Cookie: session={tok}; Path=/; HttpOnly', tok)
        tok = f.s(ALNUM, 40)
        add("token", f"2026-12-04T10:00:00Z WARN retrying with refresh_token={tok}", tok)
        sec = f.s(HEX, 64)
        add("secret", f'WEBHOOK_SECRET="{sec}"', sec)
        tok = f.s(ALNUM + "-_", 43)
        add("token", f"https://hooks.acme.io/notify?token={tok}", tok)
        lines = f.pem_lines(8, first="b3BlbnNzaC1rZXktdjE")
        add("private-key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----",
            *lines)
    return cases


def lookalike_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str) -> None:
        cases.append({"text": text, "kind": kind})

    for _ in range(3):
        add("ci", "- uses: actions/checkout@" + f.s(HEX, 40) + "\n  with:\n    token: ${{ secrets.GITHUB_TOKEN }}")
        add("ci", "env:\n  NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n  PASSWORD: ${{ secrets.DB_PASSWORD }}")
        add("code", "client = OpenAI(api_key=os.environ['OPENAI_API_KEY'])")
        add("code", "token = request.headers.get('Authorization', '').removeprefix('Bearer ')")
        add("code", f"def test_token_{f.s(LOWER, 6)}():\n    assert refresh(token) != token")
        add("docker", f"FROM python:3.12-slim@sha256:{f.s(HEX, 64)}")
        add("k8s", "valueFrom:\n  secretKeyRef:\n    name: db-credentials\n    key: password")
        add("url", f"https://github.com/acme/app/commit/{f.s(HEX, 40)}?diff=split")
        add("url", f"https://cdn.acme.io/assets/app.{f.s(HEX, 20)}.js")
        add("url", "amqp://rabbit.internal:5672/vhost")
        add("log", f"2026-12-04T10:00:00Z INFO request_id={f.s(HEX, 32)} user=alice status=200")
        add("log", f"cache key {f.s(HEX, 40)} hit ratio 0.93")
        add("shell", "mysql -h 127.0.0.1 -uroot -p\nEnter password:")
        add("shell", "echo $? | sudo tee /var/log/x; sudo -S -v")
        add("prose", "Never paste the deploy token into a correction; use the TOKEN variable instead.")
        add("prose", f"The password reset flow sent {f.r.randint(2, 99)} emails before the fix.")
        add("id", f"{f.s(UPPER, 3)}-{f.r.randint(100, 9999)} {f.s(ALNUM, 8)} {f.s(B64, 12)}")
        add("grader", "must_not_match:\n- 'sk-[A-Za-z0-9]{20,}'\n- 'password\\s*[:=]'")
    return cases


def build() -> tuple[list[dict], list[dict]]:
    fake = Fake(SEED)
    return secret_cases(fake), lookalike_cases(fake)


if __name__ == "__main__":
    secrets, lookalikes = build()
    write(HERE / "heldout2_secrets.jsonl", secrets)
    write(HERE / "heldout2_lookalikes.jsonl", lookalikes)
    print(f"{len(secrets)} held-out (2) secret cases, {len(lookalikes)} look-alikes")
