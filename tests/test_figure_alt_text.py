"""Every figure of the chapters' HTML copies and the site has a description (alt text)."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

from kamlib.course import pages, site  # noqa: E402
from kamlib.plots import alt_text  # noqa: E402

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()


def _alts(page: str) -> list[str]:
    return [a for a in re.findall(r'<img\b[^>]*?\salt="([^"]*)"', page)]


def test_describe_uses_suptitle_titles_and_axis_labels():
    fig, (a, b) = plt.subplots(1, 2)
    fig.suptitle("Profit now and later")
    a.set_title("Now")
    a.set_xlabel("net price ($p$)")
    a.set_ylabel("cost to serve")
    b.set_title("Later")
    assert alt_text.describe(fig) == (
        "Profit now and later | Now. x: net price (p); y: cost to serve | Later")
    plt.close(fig)


def test_a_figure_without_any_title_says_so():
    fig, ax = plt.subplots()
    assert alt_text.describe(fig) == "Figure (no title)"
    plt.close(fig)


def _notebook(meta=None):
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                                 metadata=meta or {})
    code = nbformat.v4.new_code_cell("plots.whale(p);")
    code.outputs = [out]
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · Select\n\n## 4. Who makes money?"), code]
    return nb


def test_the_description_given_at_run_time_becomes_the_alt_text():
    page = pages.notebook_html(_notebook({"image/png": {"alt": "The whale curve <&>"}}))
    assert _alts(page) == ["The whale curve &lt;&amp;&gt;"]
    assert pages.images_without_description(page) == []


def test_an_image_without_description_gets_its_sections_heading():
    page = pages.notebook_html(_notebook())
    assert _alts(page) == ["Figure in section “4. Who makes money?”"]
    assert "No description has been provided" not in page
    assert pages.problems(page) == []


def test_plain_nbconvert_images_are_reported():
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(_notebook())
    assert "No description has been provided" in page
    found = pages.problems(page)
    assert [p for p in found if "without a description" in p] != []
    assert pages.images_without_description('<img src="a.png">') == ['<img src="a.png">']
    assert pages.images_without_description('<img alt="Figure" src="a.png">') != []


def test_a_kernel_figure_carries_its_title_as_alt():
    """notebook.setup() in a real kernel: the PNG output holds the figure's title."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from kamlib import notebook\nnotebook.setup()\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots(); ax.plot([1, 2]); ax.set_title('The whale curve');"
        " ax.set_xlabel('share of customers');")]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    (out,) = [o for o in nb.cells[0].outputs if "image/png" in o.get("data", {})]
    assert out.metadata["image/png"]["alt"] == "The whale curve. x: share of customers"


def test_the_built_site_has_no_image_without_description(tmp_path):
    result = site.build(tmp_path / "site")
    images = 0
    for name in result.pages:
        page = (tmp_path / "site" / name).read_text()
        images += page.count("<img")
        assert pages.images_without_description(page) == [], name
        assert "No description has been provided" not in page, name
    assert images > 20  # the chapters' figures are there
