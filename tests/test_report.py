"""The HTML diagnostics report: content, self-containment, and a real headless Chromium."""

import base64
import re

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.reports import summary_table

FITS = ("radon_pooled", "radon_intercept", "mcycle_cr20")


@pytest.fixture(scope="module")
def report_path(small_fit, tmp_path_factory):
    fits = {n: small_fit(n) for n in FITS}
    from bayeszoo.api import fit_reml

    reml = {n: fit_reml(n) for n in FITS}
    path = tmp_path_factory.mktemp("report") / "index.html"
    assert bz.report(fits, path, reml=reml) == path
    return path


def test_summary_table_is_brms_like(small_fit):
    idata = small_fit("radon_intercept")
    table = summary_table(idata, ["b_Intercept", "sd_county__Intercept", "sigma"])
    assert list(table.columns) == ["Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat",
                                   "Bulk_ESS", "Tail_ESS"]
    assert table.loc["sigma", "Estimate"] == pytest.approx(0.77, abs=0.05)
    assert table.loc["sd_county__Intercept", "Estimate"] == pytest.approx(0.30, abs=0.06)
    x = idata.posterior["sigma"].values.ravel()
    assert table.loc["sigma", "l-95% CI"] == pytest.approx(np.quantile(x, 0.025))
    full = summary_table(idata)
    assert "r_county[AITKIN]" in full.index and "Intercept" not in full.index


def test_summary_on_arviz_example_flags_problems(tmp_path):
    import arviz as az

    idata = az.load_arviz_data("centered_eight")  # the funnel: divergences and low ESS
    path = bz.report({"centered_eight": idata}, tmp_path / "eight.html")
    text = path.read_text()
    assert 'class="flag"' in text and "divergent transition" in text
    assert "data:image/png;base64," in text


def test_report_is_self_contained_and_complete(report_path):
    text = report_path.read_text()
    # nothing fetched at view time: no external scripts, stylesheets, images or fonts
    assert not re.search(r'(src|href)\s*=\s*"(?!data:|#)', text)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(imgs) >= 3 * 6
    for b64 in imgs:
        assert base64.b64decode(b64)[:8] == b"\x89PNG\r\n\x1a\n"
    for name in FITS:
        assert f'data-fit="{name}"' in text
    for col in ("Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS", "Tail_ESS",
                "divergences", "E-BFMI", "edf_total+aux", "k_bad"):
        assert col in text, col
    assert "REML twin" in text
    assert "Could not draw" not in text  # every figure of every fit was drawn


SECTIONS_ALL = {"summary", "sampler", "trace", "rank", "energy", "ppc", "khat"}


def test_report_in_headless_chromium(report_path, tmp_path):
    from cdp import Chrome, find_chromium

    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (`make browser` installs Debian's chromium): "
                    "the report was not checked in a real browser")
    chrome = Chrome(binary, str(tmp_path / "chromium-profile"))
    try:
        session = chrome.open_page(report_path.resolve().as_uri())
        info = chrome.evaluate("""(() => {
            const imgs = Array.from(document.images);
            const sections = {};
            document.querySelectorAll('[data-fit]').forEach(f => {
                sections[f.dataset.fit] = Array.from(f.querySelectorAll('[data-section]'))
                    .map(e => e.dataset.section);
            });
            return {
                images: imgs.length,
                broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
                comparison: !!document.querySelector('#comparison table'),
                sections: sections,
                height: document.documentElement.scrollHeight,
                title: document.title,
            };
        })()""", session)
        shot = chrome.send("Page.captureScreenshot", {"format": "png",
                                                      "captureBeyondViewport": True},
                           session=session)
    finally:
        chrome.close()
    png = tmp_path / "report.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {png}")
    assert png.stat().st_size > 10_000

    errors = []
    for ev in chrome.events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(params)
        elif method == "Runtime.exceptionThrown":
            errors.append(params)
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(params["entry"])
    assert not errors, errors
    external = [ev["params"]["request"]["url"] for ev in chrome.events
                if ev.get("method") == "Network.requestWillBeSent"
                and not ev["params"]["request"]["url"].startswith(("data:", "file:"))]
    assert not external, f"the report fetched {external}"

    assert info["images"] >= 18 and info["broken"] == [], info["broken"]
    assert info["comparison"]
    assert set(info["sections"]) == set(FITS)
    for name, found in info["sections"].items():
        assert SECTIONS_ALL <= set(found), (name, SECTIONS_ALL - set(found))
    assert {"pooling", "shrinkage"} <= set(info["sections"]["radon_intercept"])
    assert {"smooth-times", "basis-times"} <= set(info["sections"]["mcycle_cr20"])
    assert "reml" in info["sections"]["mcycle_cr20"]


def test_sampler_table_reads_the_stats_sample_writes(small_fit):
    import arviz as az

    from bayeszoo.reports.tables import sampler_table

    idata = small_fit("radon_intercept")
    table = sampler_table(idata)
    assert list(table.columns) == ["chain", "draws", "divergences", "E-BFMI", "max tree depth",
                                   "step size", "mean accept"]
    stats = idata.sample_stats
    assert table["draws"].tolist() == [200, 200]
    assert table["divergences"].tolist() == stats["diverging"].sum("draw").values.tolist()
    np.testing.assert_allclose(table["E-BFMI"], az.bfmi(idata))
    np.testing.assert_allclose(table["max tree depth"], stats["tree_depth"].max("draw"))
    np.testing.assert_allclose(table["step size"], stats["step_size"].mean("draw"))
    np.testing.assert_allclose(table["mean accept"], stats["acceptance_rate"].mean("draw"))
    assert table["mean accept"].between(0.7, 0.95).all()  # NUTS adapted to target_accept 0.8
