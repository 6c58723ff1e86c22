"""Write the HELD-OUT redaction corpus: heldout_secrets.jsonl and heldout_lookalikes.jsonl.

Written before redact.py was tuned for issue 11, with its own seed and its own templates (the
places farm meets a secret: capture flags, shell lines, CI logs, configs, URLs in errors), so
its figures say how redaction does on text it was not tuned on. Never tune rules on this file:
add a case to generate.py instead. Run: python tests/data/secrets/heldout.py
Lines have the same shape as generate.py's (see its docstring).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import ALNUM, B64, B64URL, DIGITS, HEX, LOWER, UPPER, Fake, write  # noqa: E402

SEED = 11_2026_1204


def _tokens(f: Fake) -> list[tuple[str, str]]:
    """(kind, fake credential) in distinctive formats."""
    return [
        ("github-token", f.github()),
        ("github-token", f.github("gho")),
        ("github-token", f.github_pat()),
        ("aws-access-key-id", f.aws_id()),
        ("gitlab-token", "glpat-" + f.s(B64URL, 20)),
        ("slack-token", f"xoxb-{f.digits(12)}-{f.digits(13)}-{f.s(ALNUM, 24)}"),
        ("stripe-key", "sk_live_" + f.s(ALNUM, 24)),
        ("openai-key", "sk-proj-" + f.s(B64URL, 48)),
        ("anthropic-key", "sk-ant-api03-" + f.s(B64URL, 80)),
        ("npm-token", "npm_" + f.s(ALNUM, 36)),
        ("gcp-api-key", "AIza" + f.s(B64URL, 35)),
        ("huggingface-token", "hf_" + f.s(ALNUM, 34)),
        ("sendgrid-key", f"SG.{f.s(B64URL, 22)}.{f.s(B64URL, 43)}"),
        ("jwt", f.jwt()),
        ("pypi-token", "pypi-AgEIcHlwaS5vcmc" + f.s(B64URL, 60)),
        ("groq-key", "gsk_" + f.s(ALNUM, 52)),
    ]


def secret_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str, *secrets: str) -> None:
        cases.append({"text": text, "secrets": list(secrets), "kind": kind})

    # Distinctive tokens in the places a capture flag or a log puts them.
    contexts = [
        "curl -sf -H 'Authorization: Bearer {t}' https://api.internal/v1/health",
        "--check-cmd \"deploy --token {t} --env staging\"",
        "tag: {t}",
        "Error: request failed with 401 for key {t}",
        "  env:\n    API_TOKEN: {t}\n",
        "export DEPLOY_TOKEN='{t}'",
        "git push https://x-access-token:{t}@github.com/acme/app.git HEAD:main",
        "[2026-03-01 10:11:12] DEBUG sending credentials {t} to upstream",
        "{{\"auth\": {{\"token\": \"{t}\"}}}}",
        "must_not_match: {t}",
        "The agent pasted {t} into the README.",
        "docker build --build-arg NPM_TOKEN={t} .",
    ]
    for i, template in enumerate(contexts):
        for kind, tok in _tokens(f)[i % 4 :: 4]:
            add(kind, template.format(t=tok), tok)

    # Passwords on command lines (shells, DB clients, sudo).
    for _ in range(3):
        pw = f.password()
        add("password", f"mysql -u root -p'{pw}' -h db.internal app < dump.sql", pw)
        pw = f.password()
        add("password", f'mysqldump -uadmin -p"{pw}" --all-databases > all.sql', pw)
        pw = f.password()
        add("password", f"echo '{pw}' | sudo -S systemctl restart nginx", pw)
        pw = f.password()
        add("password", f"sudo -S apt-get install -y jq <<< '{pw}'", pw)
        pw = f.password()
        add("password", f"sudo -S -k whoami <<<\"{pw}\"", pw)
        pw = f.password()
        add("password", f"PGPASSWORD={pw} psql -h localhost -U app -c 'select 1'", pw)
        pw = f.password()
        add("password", f"sshpass -p '{pw}' ssh deploy@10.1.2.3 uptime", pw)
        pw = f.password()
        add("password", f"docker login registry.acme.io -u ci -p {pw}", pw)
        pw = f.password()
        add("password", f"redis-cli -h cache -a {pw} ping", pw)
        pw = f.password()
        add("password", f"curl -u admin:{pw} https://jenkins.acme.io/api/json", pw)
        pw = f.password()
        add("password", f"wget --password={pw} --user=bot https://files.acme.io/x.tgz", pw)
        pw = f.password()
        add("password", f"mariadb -uroot -p'{pw}' -e 'show databases'", pw)

    # Settings files and env.
    for _ in range(3):
        pw = f.password()
        add("password", f"DATABASE_PASSWORD={pw}\nDATABASE_HOST=db\n", pw)
        pw = f.password()
        add("password", f"spring.datasource.password={pw}", pw)
        sec = f.s(ALNUM, 40)
        add("secret", f"SECRET_KEY_BASE={sec}", sec)
        pw = f.password()
        add("password", f"db:\n  user: app\n  password: {pw}\n", pw)
        sec = f.s(ALNUM + "_-", 32)
        add("secret", f'client_secret = "{sec}"', sec)
        tok = f.s(ALNUM, 36)
        add("token", f'{{"access_token": "{tok}", "token_type": "bearer"}}', tok)

    # URLs with credentials, as error messages print them.
    for _ in range(4):
        pw = f.password()
        add("url-password", f"fatal: could not clone https://alice:{pw}@git.acme.io/team/repo.git", pw)
        pw = f.password()
        add("url-password", f"DATABASE_URL=postgres://app:{pw}@db.internal:5432/app", pw)
        pw = f.password()
        add("url-password", f"redis://:{pw}@cache.internal:6379/0", pw)
        tok = "glpat-" + f.s(B64URL, 20)
        add("gitlab-token", f"seeded from https://gitlab.acme.io/team/repo.git?private_token={tok}", tok)
        tok = f.s(ALNUM, 32)
        add("token", f"GET https://api.acme.io/v2/items?access_token={tok}&page=2 -> 403", tok)
        tok = f.github()
        add("github-token", f"remote: https://{tok}@github.com/acme/site.git", tok)

    # Keys and blocks.
    for _ in range(2):
        lines = f.pem_lines(12)
        add("private-key", "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n", *lines)
        kid, sec = f.aws_id(), f.aws_secret()
        add("aws-secret-access-key", f"aws_access_key_id={kid}\naws_secret_access_key={sec}", kid, sec)
    return cases


def lookalike_cases(f: Fake) -> list[dict]:
    cases: list[dict] = []

    def add(kind: str, text: str) -> None:
        cases.append({"text": text, "kind": kind})

    for _ in range(4):
        add("git-sha", f"{f.s(HEX, 10)} farm: capture agent-forgot-migration-{f.s(HEX, 6)}")
        add("checksum", f"sha256 {f.s(HEX, 64)} wheel")
        add("uuid", f"session {f.s(HEX, 8)}-{f.s(HEX, 4)}-4{f.s(HEX, 3)}-8{f.s(HEX, 3)}-{f.s(HEX, 12)} ended")
        add("path", f"tests/farm/test_agent_{f.s(LOWER, 8)}_{f.s(HEX, 6)}.py")
        add("id", f"corrections/{f.s(LOWER, 6)}-{f.s(LOWER, 5)}-{f.s(HEX, 6)}.md")
    for word in ("token", "password", "secret", "key", "credential"):
        add("prose", f"The agent logged the {word} to stdout; rotate the {word} and never print it.")
        add("flag", f"--must-not-match '{word}\\s*=\\s*\\S+' --applies-to '*.env'")
        add("code", f"def get_{word}(name: str) -> str:\n    return vault.read(name)")
        add("config", f"{word}_file: /run/secrets/app_{word}")
    add("command", "mysql -u root -p -h db.internal app")
    add("command", "mysql -u root --password -e 'select 1'")
    add("command", "sudo -S true")
    add("command", "echo hi | sudo tee /etc/motd")
    add("command", "sudo -S -v <<< \"$SUDO_PASSWORD\"")
    add("command", "echo \"$PASSWORD\" | sudo -S ls")
    add("command", "docker login -u ci --password-stdin < token.txt")
    add("command", "psql -h localhost -U app -W")
    add("command", "curl -u \"$USER:$PASS\" https://jenkins.acme.io")
    add("url", "https://github.com/acme/app/pull/42?tab=files&page=2")
    add("url", "https://docs.acme.io/search?q=token+rotation&lang=en")
    add("url", "git@github.com:acme/app.git")
    add("url", "https://user@git.acme.io/team/repo.git")
    add("url", "postgres://app@db.internal:5432/app")
    add("url", "https://pypi.org/project/google-re2/1.1/")
    add("regex", "--must-not-match 'AKIA[0-9A-Z]{16}'")
    add("regex", "must_not_match: ['ghp_[A-Za-z0-9]{36}', 'password=\\S+']")
    add("task-type", "--task-type 'dependency upgrade' --tag flaky --tag ci")
    add("heading", "--require-heading '## Takeaway' --require-heading 'Summary'")
    add("glob", "--applies-to 'tests/**/*.py' --applies-to 'docs/*.md'")
    for _ in range(6):
        words = f.r.sample(["migration", "fixture", "token", "budget", "cache", "parser", "keyring", "session", "rotation", "secret"], 5)
        add("prose", "Always " + " ".join(words) + " before committing " + f.s(DIGITS, 3) + " files.")
        add("number", f"cost ${f.r.randint(1, 99)}.{f.s(DIGITS, 2)} tokens {f.digits(7)} cache_read {f.digits(6)}")
        add("base64", f"data:image/png;base64,{f.s(B64, 120)}==")
        add("version", f"google-re2=={f.r.randint(1, 2)}.{f.r.randint(0, 9)}.{f.r.randint(0, 99)} pathspec>=0.{f.r.randint(9, 12)}")
        add("word", f"{f.s(UPPER, 1)}{f.s(LOWER, 12)}Handler{f.s(UPPER, 1)}{f.s(LOWER, 8)}")
    return cases


def build() -> tuple[list[dict], list[dict]]:
    fake = Fake(SEED)
    return secret_cases(fake), lookalike_cases(fake)


if __name__ == "__main__":
    secrets, lookalikes = build()
    write(HERE / "heldout_secrets.jsonl", secrets)
    write(HERE / "heldout_lookalikes.jsonl", lookalikes)
    print(f"{len(secrets)} held-out secret cases, {len(lookalikes)} held-out look-alikes")
