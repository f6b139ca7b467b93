"""bz.report's bad inputs: checked before any work, named in the error, nothing left behind."""

import os
import re

import matplotlib.figure
import pytest

import bayeszoo as bz


class DrewAFigure(BaseException):
    """Raised by a patched ``Figure.savefig``: the report started drawing (a BaseException, so
    the report's per-figure ``except Exception`` cannot swallow it)."""


@pytest.fixture(scope="module")
def eight():
    import arviz as az

    return az.load_arviz_data("centered_eight")


@pytest.fixture
def no_drawing(monkeypatch):
    def savefig(self, *args, **kwargs):
        raise DrewAFigure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)


def test_directory_path_fails_before_drawing_and_leaves_nothing(eight, tmp_path, no_drawing):
    with pytest.raises(ValueError, match=re.escape(str(tmp_path)) + ".*is a directory"):
        bz.report({"eight": eight}, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("below", ["index.html", "sub/index.html"])
def test_path_below_a_file_fails_before_drawing(eight, tmp_path, no_drawing, below):
    plain = tmp_path / "notes.txt"
    plain.write_text("a file, not a folder")
    path = plain / below
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*notes.txt is a file"):
        bz.report({"eight": eight}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_unwritable_folder_fails_before_drawing(eight, tmp_path, no_drawing, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: let access() answer as for a user
            real_access = os.access

            def access(path, mode, **kwargs):
                if os.fspath(path) == str(locked) and mode & os.W_OK:
                    return False
                return real_access(path, mode, **kwargs)

            monkeypatch.setattr(os, "access", access)
        path = locked / "report" / "index.html"
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*permission.*locked"):
            bz.report({"eight": eight}, path)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_values_that_are_not_fits_are_named(eight, tmp_path, no_drawing):
    with pytest.raises(TypeError, match=r"fits\['g'\] is the str 'x'; expected an "
                                        r"arviz.InferenceData"):
        bz.report({"g": "x"}, tmp_path / "r.html")
    with pytest.raises(TypeError, match=r"fits\[1\] is the int 2; expected an arviz"):
        bz.report([eight, 2], tmp_path / "r.html")
    with pytest.raises(TypeError, match=r"fits\[0\] is the int 1"):
        bz.report([1, 2], tmp_path / "r.html")
    with pytest.raises(TypeError, match=r"fits is a value of type InferenceData; .*\[idata\]"):
        bz.report(eight, tmp_path / "r.html")
    with pytest.raises(TypeError, match=r"fits is the str 'fit.nc'"):
        bz.report("fit.nc", tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []


def test_interrupted_report_leaves_nothing(eight, tmp_path, no_drawing):
    with pytest.raises(DrewAFigure):
        bz.report({"eight": eight}, tmp_path / "new" / "index.html")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_nothing(eight, tmp_path):
    # a title UTF-8 cannot encode: the page renders, writing it fails part-way
    with pytest.raises(UnicodeEncodeError):
        bz.report({"eight": eight}, tmp_path / "new" / "sub" / "index.html", title="\ud800",
                  max_trace_vars=1)
    assert list(tmp_path.iterdir()) == []
    path = tmp_path / "index.html"
    path.write_text("the previous report")
    with pytest.raises(UnicodeEncodeError):
        bz.report({"eight": eight}, path, title="\ud800", max_trace_vars=1)
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
    assert path.read_text() == "the previous report"


def test_names_are_escaped(eight, tmp_path):
    text = bz.report({"<b>eight</b>": eight}, tmp_path / "r.html", max_trace_vars=1).read_text()
    assert "<b>eight</b>" not in text and "&lt;b&gt;eight&lt;/b&gt;" in text
    assert "theta[St. Paul&#39;s]" in text  # a coordinate label inside the summary table


def test_pareto_k_categories():
    from bayeszoo.diagnostics import pareto_k_counts
    from bayeszoo.reports.tables import pareto_k_table

    k = [-0.1, 0.5, 0.5001, 0.7, 0.7001, 1.0, 1.2, 3.0]
    assert pareto_k_counts(k) == {"good": 2, "ok": 2, "bad": 2, "very_bad": 2}
    table = pareto_k_table(k)
    assert list(table.index) == ["good (k ≤ 0.5)", "ok (0.5 < k ≤ 0.7)", "bad (0.7 < k ≤ 1)",
                                 "very bad (k > 1)"]
    assert table["count"].tolist() == [2, 2, 2, 2]
    assert table["percent"].tolist() == [25.0, 25.0, 25.0, 25.0]


def test_missing_sample_stats_show_as_unknown(eight):
    from bayeszoo.inference.fit_checks import idata_checks
    from bayeszoo.reports.cells import sampler_display
    from bayeszoo.reports.tables import sampler_table, sampler_warnings

    idata = eight.copy()
    idata.sample_stats = idata.sample_stats.drop_vars(["tree_depth", "diverging"])
    table = sampler_table(idata)
    assert list(table.columns) == ["chain", "draws", "divergences", "E-BFMI", "step size",
                                   "mean accept"]
    shown = sampler_display(table)
    assert [row.cells[2].text for row in shown.rows] == ["?"] * 4
    # E-BFMI of centered_eight's chains 1 and 3 is below 0.3: flagged and warned about
    assert [row.cells[3].flag for row in shown.rows] == [False, True, False, True]
    assert sampler_warnings(table, idata_checks(idata)) == [
        "E-BFMI < 0.3 in chain(s) [1, 3]: energy transitions are inefficient."]
