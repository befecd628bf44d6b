#!/usr/bin/env python3
"""GitHub helpers for running trellis from GitHub Actions (see docs/ci.md).

Two subcommands, standard library only, talking to the GitHub REST API:

  comment        create or update ONE pull-request comment, found by a hidden marker
  find-plan-run  for a commit on the default branch, find the pull request it merged and
                 the successful workflow run that planned that pull request's final head,
                 so that the apply job downloads exactly the plan that was reviewed

  github_pr.py comment --repo OWNER/REPO --pr 12 --body-file plan.md [--marker NAME]
  github_pr.py find-plan-run --repo OWNER/REPO --sha SHA --workflow trellis.yml

The token comes from GITHUB_TOKEN; the API from --api-url or GITHUB_API_URL (default
https://api.github.com). Output lines are stable, one fact per line, for logs and for
`>> $GITHUB_OUTPUT`:

  comment:        created comment 123   |   updated comment 123   |   unchanged comment 123
  find-plan-run:  pr=12 / head_sha=... / run_id=456

Exit status: 0 on success, 1 on an API or usage error (the message names the request),
2 from find-plan-run when the commit merged no pull request or no successful plan run exists.
"""

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

# GitHub refuses comment bodies over 65,536 characters.
GITHUB_COMMENT_LIMIT = 65536
PER_PAGE = 100


class ApiError(Exception):
    pass


class GitHub:
    def __init__(self, api_url, token):
        self.api_url = api_url.rstrip("/")
        self.token = token

    def request(self, method, path, body=None, query=None):
        """One request; returns (decoded JSON or None, response headers)."""
        url = self.api_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "trellis-ci")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                text = resp.read().decode("utf-8")
                return (json.loads(text) if text else None), resp.headers
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:500]
            raise ApiError(f"{method} {path}: HTTP {e.code}: {detail}") from None
        except urllib.error.URLError as e:
            raise ApiError(f"{method} {path}: {e.reason}") from None

    def paginate(self, path, query=None, key=None):
        """Every item of a list endpoint, following the Link header's rel="next"."""
        query = dict(query or {}, per_page=PER_PAGE)
        url_path, params = path, query
        while True:
            page, headers = self.request("GET", url_path, query=params)
            items = page.get(key, []) if key else page
            yield from items
            nxt = next_link(headers.get("Link", ""))
            if not nxt:
                return
            parsed = urllib.parse.urlparse(nxt)
            base = urllib.parse.urlparse(self.api_url)
            url_path = parsed.path[len(base.path.rstrip("/")):] if base.path else parsed.path
            params = dict(urllib.parse.parse_qsl(parsed.query))


def next_link(header):
    for part in header.split(","):
        m = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if m:
            return m.group(1)
    return None


def marker_line(name):
    # An HTML comment: invisible in the rendered comment, findable in its source.
    return f"<!-- trellis:{name} -->"


def compose(body, name):
    marker = marker_line(name)
    text = marker + "\n" + body
    if len(text) > GITHUB_COMMENT_LIMIT:
        note = "\n\n_Cut to fit GitHub's comment size limit._\n"
        text = text[: GITHUB_COMMENT_LIMIT - len(note)] + note
    return text


def comment(gh, repo, pr, body, name):
    text = compose(body, name)
    marker = marker_line(name)
    for c in gh.paginate(f"/repos/{repo}/issues/{pr}/comments"):
        if marker in (c.get("body") or ""):
            if c.get("body") == text:
                return f"unchanged comment {c['id']}"
            gh.request("PATCH", f"/repos/{repo}/issues/comments/{c['id']}", {"body": text})
            return f"updated comment {c['id']}"
    created, _ = gh.request("POST", f"/repos/{repo}/issues/{pr}/comments", {"body": text})
    return f"created comment {created['id']}"


class NotFound(Exception):
    pass


def find_plan_run(gh, repo, sha, workflow):
    pulls, _ = gh.request("GET", f"/repos/{repo}/commits/{sha}/pulls")
    merged = [p for p in pulls or [] if p.get("merged_at") and p.get("merge_commit_sha") == sha]
    if not merged:
        merged = [p for p in pulls or [] if p.get("merged_at")]
    if not merged:
        raise NotFound(f"commit {sha} merged no pull request")
    pr = merged[0]
    head = pr["head"]["sha"]
    runs = gh.paginate(
        f"/repos/{repo}/actions/workflows/{workflow}/runs",
        query={"event": "pull_request", "head_sha": head, "status": "success"},
        key="workflow_runs",
    )
    best = None
    for run in runs:
        if run.get("head_sha") != head or run.get("conclusion") != "success":
            continue
        if best is None or run["run_number"] > best["run_number"]:
            best = run
    if best is None:
        raise NotFound(
            f"no successful {workflow} run planned pull request #{pr['number']} at {head}"
        )
    return [f"pr={pr['number']}", f"head_sha={head}", f"run_id={best['id']}"]


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--api-url", default=os.environ.get("GITHUB_API_URL", "https://api.github.com"))
    p.add_argument("--repo", required=True, help="OWNER/REPO")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("comment", help="create or update the marked pull-request comment")
    c.add_argument("--pr", required=True, type=int)
    c.add_argument("--body-file", required=True, help="markdown file, or - for stdin")
    c.add_argument("--marker", default="plan", help="names the comment (one per marker)")
    f = sub.add_parser("find-plan-run", help="the plan run of the pull request a commit merged")
    f.add_argument("--sha", required=True)
    f.add_argument("--workflow", required=True, help="workflow file name or ID")
    args = p.parse_args(argv)

    gh = GitHub(args.api_url, os.environ.get("GITHUB_TOKEN", ""))
    try:
        if args.command == "comment":
            if args.body_file == "-":
                body = sys.stdin.read()
            else:
                with open(args.body_file, encoding="utf-8") as fh:
                    body = fh.read()
            print(comment(gh, args.repo, args.pr, body, args.marker))
        else:
            for line in find_plan_run(gh, args.repo, args.sha, args.workflow):
                print(line)
    except NotFound as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ApiError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
