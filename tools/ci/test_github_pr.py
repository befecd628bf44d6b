#!/usr/bin/env python3
"""Tests of tools/ci/github_pr.py against a fake GitHub REST API on 127.0.0.1.

The fake keeps issue comments, pull requests of commits and workflow runs in memory, pages
lists the way GitHub does (per_page, page, a Link header with rel="next"), checks the bearer
token, and records every request. Each test runs the real script as a subprocess.

  python3 tools/ci/test_github_pr.py
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "github_pr.py")
TOKEN = "test-token"
REPO = "acme/mesh"


class FakeGitHub:
    def __init__(self):
        self.comments = {}  # id -> {"id", "issue", "body"}
        self.next_id = 1000
        self.pulls_of_commit = {}  # sha -> [pull]
        self.runs = []  # workflow runs of "trellis.yml"
        self.requests = []  # (method, path)
        self.lock = threading.Lock()

    def add_comment(self, issue, body):
        with self.lock:
            self.next_id += 1
            self.comments[self.next_id] = {"id": self.next_id, "issue": issue, "body": body}
            return self.next_id

    def of_issue(self, issue):
        return [c for c in sorted(self.comments.values(), key=lambda c: c["id"]) if c["issue"] == issue]


def handler_for(fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code, body=None, headers=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def page(self, items, parsed, key=None):
            q = dict(urllib.parse.parse_qsl(parsed.query))
            per_page = int(q.get("per_page", 30))
            page = int(q.get("page", 1))
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                q["page"] = str(page + 1)
                nxt = f"http://{self.headers['Host']}{parsed.path}?{urllib.parse.urlencode(q)}"
                headers["Link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            body = {key: chunk, "total_count": len(items)} if key else chunk
            self.reply(200, body, headers)

        def handle_any(self, method):
            parsed = urllib.parse.urlparse(self.path)
            fake.requests.append((method, parsed.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.reply(401, {"message": "Bad credentials"})
            if self.headers.get("Accept") != "application/vnd.github+json":
                return self.reply(415, {"message": "bad Accept"})
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            parts = parsed.path.strip("/").split("/")
            # /repos/acme/mesh/...
            if parts[:3] != ["repos", "acme", "mesh"]:
                return self.reply(404, {"message": "Not Found"})
            rest = parts[3:]
            if method == "GET" and len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
                return self.page(fake.of_issue(int(rest[1])), parsed)
            if method == "POST" and len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
                if not isinstance(body, dict) or len(body.get("body", "")) > 65536:
                    return self.reply(422, {"message": "body is too long"})
                cid = fake.add_comment(int(rest[1]), body["body"])
                return self.reply(201, fake.comments[cid])
            if method == "PATCH" and rest[:2] == ["issues", "comments"] and len(rest) == 3:
                cid = int(rest[2])
                if cid not in fake.comments:
                    return self.reply(404, {"message": "Not Found"})
                fake.comments[cid]["body"] = body["body"]
                return self.reply(200, fake.comments[cid])
            if method == "GET" and len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls":
                return self.reply(200, fake.pulls_of_commit.get(rest[1], []))
            if method == "GET" and rest[:2] == ["actions", "workflows"] and rest[3:] == ["runs"]:
                q = dict(urllib.parse.parse_qsl(parsed.query))
                runs = [
                    r
                    for r in fake.runs
                    if r["workflow"] == rest[2]
                    and r["event"] == q.get("event", r["event"])
                    and r["head_sha"] == q.get("head_sha", r["head_sha"])
                    and r["conclusion"] == q.get("status", r["conclusion"])
                ]
                return self.page(runs, parsed, key="workflow_runs")
            return self.reply(404, {"message": "Not Found"})

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PATCH(self):
            self.handle_any("PATCH")

    return Handler


class ScriptTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeGitHub()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self.fake))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.api = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.tmp.cleanup()

    def run_script(self, *args, token=TOKEN, stdin=None):
        env = dict(os.environ, GITHUB_TOKEN=token)
        env.pop("GITHUB_API_URL", None)
        return subprocess.run(
            [sys.executable, SCRIPT, "--api-url", self.api, "--repo", REPO, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
        )

    def body_file(self, text):
        path = os.path.join(self.tmp.name, "plan.md")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def comment(self, text, pr=7, marker="plan"):
        return self.run_script(
            "comment", "--pr", str(pr), "--body-file", self.body_file(text), "--marker", marker
        )

    def test_creates_once_then_updates(self):
        self.fake.add_comment(7, "LGTM")
        first = self.comment("**Plan: 1 to add, 0 to change, 0 to destroy.**\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertRegex(first.stdout, r"^created comment \d+\n$")
        second = self.comment("**Plan: 2 to add, 0 to change, 0 to destroy.**\n")
        self.assertEqual(second.returncode, 0, second.stderr)
        cid = first.stdout.split()[-1]
        self.assertEqual(second.stdout, f"updated comment {cid}\n")
        comments = self.fake.of_issue(7)
        self.assertEqual(len(comments), 2, "the human comment and one plan comment")
        self.assertEqual(
            comments[1]["body"],
            "<!-- trellis:plan -->\n**Plan: 2 to add, 0 to change, 0 to destroy.**\n",
        )
        self.assertEqual([m for m, _ in self.fake.requests].count("POST"), 1)
        self.assertEqual([m for m, _ in self.fake.requests].count("PATCH"), 1)

    def test_the_same_body_is_not_rewritten(self):
        self.comment("same\n")
        again = self.comment("same\n")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertTrue(again.stdout.startswith("unchanged comment "))
        self.assertNotIn("PATCH", [m for m, _ in self.fake.requests])

    def test_finds_the_marker_past_the_first_page(self):
        for i in range(150):
            self.fake.add_comment(7, f"chatter {i}")
        self.comment("old plan\n")
        for i in range(30):
            self.fake.add_comment(7, f"more chatter {i}")
        out = self.comment("new plan\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.startswith("updated comment "), out.stdout)
        marked = [c for c in self.fake.of_issue(7) if "<!-- trellis:plan -->" in c["body"]]
        self.assertEqual(len(marked), 1)
        self.assertTrue(marked[0]["body"].endswith("new plan\n"))
        pages = [p for m, p in self.fake.requests if m == "GET"]
        self.assertGreaterEqual(len(pages), 4, "followed the Link header")

    def test_one_comment_per_marker_and_per_pull_request(self):
        self.assertEqual(self.comment("a", marker="plan:network").returncode, 0)
        self.assertEqual(self.comment("b", marker="plan:services").returncode, 0)
        self.assertEqual(self.comment("c", pr=8, marker="plan:network").returncode, 0)
        self.assertEqual(len(self.fake.of_issue(7)), 2)
        self.assertEqual(len(self.fake.of_issue(8)), 1)

    def test_body_from_stdin_and_cut_to_the_limit(self):
        out = self.run_script("comment", "--pr", "7", "--body-file", "-", stdin="x" * 70000)
        self.assertEqual(out.returncode, 0, out.stderr)
        (c,) = self.fake.of_issue(7)
        self.assertLessEqual(len(c["body"]), 65536)
        self.assertTrue(c["body"].endswith("_Cut to fit GitHub's comment size limit._\n"))

    def test_api_errors_name_the_request(self):
        out = self.run_script(
            "comment", "--pr", "7", "--body-file", self.body_file("x"), token="wrong"
        )
        self.assertEqual(out.returncode, 1)
        self.assertIn("GET /repos/acme/mesh/issues/7/comments: HTTP 401", out.stderr)
        self.assertEqual(self.fake.of_issue(7), [])

    def test_find_plan_run_picks_the_latest_success_for_the_final_head(self):
        self.fake.pulls_of_commit["m1"] = [
            {"number": 7, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": "m1",
             "head": {"sha": "h2"}},
        ]
        base = {"workflow": "trellis.yml", "event": "pull_request"}
        self.fake.runs = [
            dict(base, id=1, run_number=1, head_sha="h1", conclusion="success"),
            dict(base, id=2, run_number=2, head_sha="h2", conclusion="success"),
            dict(base, id=3, run_number=3, head_sha="h2", conclusion="failure"),
            dict(base, id=4, run_number=4, head_sha="h2", conclusion="success"),
            dict(base, id=5, run_number=5, head_sha="h2", conclusion="success",
                 workflow="other.yml"),
        ]
        out = self.run_script("find-plan-run", "--sha", "m1", "--workflow", "trellis.yml")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "pr=7\nhead_sha=h2\nrun_id=4\n")

    def test_find_plan_run_without_pull_request_or_plan(self):
        out = self.run_script("find-plan-run", "--sha", "direct-push", "--workflow", "trellis.yml")
        self.assertEqual(out.returncode, 2)
        self.assertIn("merged no pull request", out.stderr)
        self.fake.pulls_of_commit["m2"] = [
            {"number": 9, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": "m2",
             "head": {"sha": "h9"}},
        ]
        out = self.run_script("find-plan-run", "--sha", "m2", "--workflow", "trellis.yml")
        self.assertEqual(out.returncode, 2)
        self.assertIn("no successful trellis.yml run planned pull request #9 at h9", out.stderr)


class WorkflowTest(unittest.TestCase):
    """The example workflow calls the script as it is, and docs/ci.md shows it verbatim."""

    ROOT = os.path.dirname(os.path.dirname(HERE))

    def read(self, *path):
        with open(os.path.join(self.ROOT, *path), encoding="utf-8") as fh:
            return fh.read()

    def test_workflow_uses_real_subcommands_and_flags(self):
        workflow = self.read("examples", "ci", "github-actions.yml")
        joined = re.sub(r"\\\n\s*", " ", workflow)  # shell line continuations
        calls = [l for l in joined.splitlines() if "github_pr.py" in l]
        self.assertEqual(len(calls), 3)
        for line in calls:
            sub = line.split("github_pr.py", 1)[1].split()
            # --repo "$GITHUB_REPOSITORY" SUBCOMMAND
            self.assertEqual(sub[0], "--repo")
            self.assertIn(sub[2], ("comment", "find-plan-run"))
            help_text = subprocess.run(
                [sys.executable, SCRIPT, "--repo", "x/y", sub[2], "--help"],
                capture_output=True, text=True,
            ).stdout
            flags = [w for w in sub[3:] if w.startswith("--")]
            self.assertTrue(flags, line)
            for flag in flags:
                self.assertIn(flag, help_text)
        for flag in ("-input=false", "-out=tfplan", "show -markdown tfplan", "apply -input=false"):
            self.assertIn(flag, workflow)

    def test_docs_embed_the_workflow_verbatim(self):
        workflow = self.read("examples", "ci", "github-actions.yml")
        docs = self.read("docs", "ci.md")
        self.assertIn("```yaml\n" + workflow + "```\n", docs)


if __name__ == "__main__":
    unittest.main(verbosity=2)
