"""F-80/F-82: Markdown written by people comes out as HTML that runs nothing: scripts, event
handlers, javascript: (and data:/vbscript:) links, styles and iframes are removed or escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal.domain.info.markdown import plain, render

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.test"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    '[x](https://ok.test "t" onmouseover=alert(1))',
]


class Tags(HTMLParser):
    """The elements and attributes a browser would build from the HTML (not the text)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def elements(html: str):
    parser = Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("text", ATTACKS)
def test_f80_markdown_attack_comes_out_inert(text):
    html = str(render(f"Before\n\n{text}\n\nAfter"))
    for tag, attrs in elements(html):
        assert tag not in ("script", "iframe", "svg", "img", "div", "style", "object"), html
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", html
            if name in ("href", "src"):
                assert (value or "").startswith(("https://", "http://", "mailto:", "tel:")), html
    assert "Before" in html and "After" in html


def test_f80_markdown_test_sees_a_live_link():
    """The check above can fail: a real javascript: anchor is seen as one."""
    assert elements('<a href="javascript:x" onclick="y">z</a>') == [
        ("a", [("href", "javascript:x"), ("onclick", "y")])
    ]


def test_f80_markdown_keeps_the_writing():
    html = str(render("# Title\n\n**bold** *it* [ok](https://ok.test)\n\n- a\n- b"))
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://ok.test" rel="noopener noreferrer nofollow">ok</a>' in html
    assert "<li>a</li>" in html


def test_f80_markdown_plain_text_for_search():
    assert plain("**Bold** & <b>x</b>") == "Bold & <b>x</b>"
