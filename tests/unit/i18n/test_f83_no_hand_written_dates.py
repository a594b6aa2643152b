"""F-83: dates and times reach people only through the filters of portal/i18n.py (`|datetime`,
`|date`, `|time`, `|number`), never through strftime or a hand-written format in a template or a
blueprint — so they follow the reader's language and the office's time zone."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
SCANNED = ("portal/templates", "portal/blueprints")
# a strftime call, or a strptime-style format written out by hand
HAND_WRITTEN = re.compile(r"strftime\(|%d/%m/%Y|%H:%M")
# files still allowed a hand-written format (none: a file may join only with a reason)
PENDING: set[str] = set()


def offenders(roots=SCANNED) -> set[str]:
    found = set()
    for root in roots:
        for folder, _dirs, files in os.walk(os.path.join(ROOT, root)):
            for name in files:
                if not name.endswith((".html", ".txt", ".py")):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    if HAND_WRITTEN.search(f.read()):
                        found.add(os.path.relpath(path, ROOT))
    return found


def test_f83_no_strftime_in_templates_and_blueprints():
    assert offenders() - PENDING == set()


def test_f83_the_pending_list_only_names_files_that_still_need_it():
    assert PENDING - offenders() == set()


def test_f83_the_scan_finds_a_strftime(tmp_path):
    (tmp_path / "page.html").write_text("<p>{{ t.at.strftime('%d/%m/%Y') }}</p>")
    (tmp_path / "ok.html").write_text("<p>{{ t.at|datetime }}</p>")
    found = set()
    for name in ("page.html", "ok.html"):
        if HAND_WRITTEN.search((tmp_path / name).read_text()):
            found.add(name)
    assert found == {"page.html"}
