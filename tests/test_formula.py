"""Formula -> Design."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bayeszoo as bz
from bayeszoo.formula import FormulaError, UnknownColumnError, brms_name, parse_formula

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture(scope="module")
def radon():
    return bz.datasets.load_radon()


@pytest.fixture(scope="module")
def mcycle():
    return bz.datasets.load_mcycle()


def test_random_intercept(radon):
    d = bz.design("log_radon ~ 1 + (1 | county)", radon)
    assert d.column_names == ["Intercept"]
    assert np.all(d.X == 1) and np.allclose(d.y, radon["log_radon"])
    (b,) = d.blocks
    assert (b.name, b.kind, b.coef, b.term) == ("county", "re", "Intercept", "(1 | county)")
    assert b.Z.shape == (919, 85) and b.labels[0] == "AITKIN"
    assert np.all(b.Z.sum(axis=1) == 1)
    assert np.all(b.Z[np.arange(919), b.index] == b.weights) and np.all(b.weights == 1)
    assert list(b.labels) == list(radon["county"].cat.categories)


def test_re_smooth_equals_random_intercept(radon):
    d1 = bz.design("log_radon ~ 1 + (1 | county)", radon)
    d2 = bz.design('log_radon ~ 1 + s(county, bs="re")', radon)
    assert np.array_equal(d1.X, d2.X) and d1.column_names == d2.column_names
    b1, b2 = d1.blocks[0], d2.blocks[0]
    assert np.array_equal(b1.Z, b2.Z) and b1.labels == b2.labels
    assert (b2.name, b2.kind, b2.coef, b2.term) == ("county", "re", "Intercept", "s(county)")
    assert np.array_equal(b1.index, b2.index)
    assert d2.smooths[0].blocks == [0] and d2.smooths[0].fixed_columns == []


def test_fixed_and_random(radon):
    d = bz.design("log_radon ~ floor + (1|county)", radon)
    assert d.column_names == ["Intercept", "floor"]
    assert np.allclose(d.X[:, 1], radon["floor"])
    assert d.blocks[0].term == "(1 | county)"


def test_cr_smooth_design(mcycle):
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    assert d.column_names == ["Intercept", "stimes_1"]
    (b,) = d.blocks
    assert (b.name, b.kind, b.coef, b.term) == ("stimes_1", "smooth", None, "s(times)")
    assert b.Z.shape == (133, 18) and b.labels == [str(i) for i in range(1, 19)]
    assert b.sp is None and b.reml_offset != 0
    Xs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Xs.csv").to_numpy()
    Zs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Zs.csv").to_numpy()
    s = np.sign(np.sum(b.Z * Zs, axis=0))
    assert np.max(np.abs(b.Z * s - Zs)) < 1e-8
    s = np.sign(np.sum(d.X[:, 1:] * Xs, axis=0))
    assert np.max(np.abs(d.X[:, 1:] * s - Xs)) < 1e-8
    (si,) = d.smooths
    assert (si.term, si.variables, si.bs, si.fixed_columns, si.blocks) == (
        "s(times)", ("times",), "cr", [1], [0])


def test_cr_for_newdata_same_rows(mcycle):
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    nd = d.for_newdata(mcycle.drop(columns="accel"))
    assert nd.y is None
    assert np.allclose(nd.X, d.X) and np.allclose(nd.blocks[0].Z, d.blocks[0].Z)


@pytest.fixture(scope="module")
def radon_full():
    return bz.datasets.load_radon_full()


def test_factor_treatment_contrasts(radon):
    d = bz.design("log_radon ~ floor + county", radon)
    levels = list(radon["county"].cat.categories)
    assert d.column_names[:3] == ["Intercept", "floor", "county" + levels[1]]
    assert len(d.column_names) == 2 + 84
    assert "countyLACQUIPARLE" in d.column_names or "LACQUIPARLE" in levels
    j = d.column_names.index("countyANOKA")
    assert np.array_equal(d.X[:, j], (radon["county"] == "ANOKA").to_numpy().astype(float))
    d0 = bz.design("log_radon ~ 0 + county", radon)
    assert d0.column_names[0] == "countyAITKIN" and d0.X.shape[1] == 85 and not d0.has_intercept
    assert bz.design("log_radon ~ -1 + floor", radon).column_names == ["floor"]
    assert bz.design("log_radon ~ floor - 1", radon).column_names == ["floor"]


def test_interactions(radon):
    d = bz.design("log_radon ~ floor * log_uranium", radon)
    assert d.column_names == ["Intercept", "floor", "log_uranium", "floor:log_uranium"]
    assert np.allclose(d.X[:, 3], radon["floor"] * radon["log_uranium"])
    small = radon[radon["county"].isin(["AITKIN", "ANOKA", "BECKER"])].copy()
    small["county"] = small["county"].cat.remove_unused_categories()
    d = bz.design("log_radon ~ floor + floor:county", small)
    assert d.column_names[:2] == ["Intercept", "floor"]
    assert "floor:countyANOKA" in d.column_names


def test_random_slopes_and_independent_terms(radon):
    d = bz.design("log_radon ~ floor + (0 + floor | county)", radon)
    (b,) = d.blocks
    assert (b.name, b.coef, b.term) == ("county", "floor", "(0 + floor | county)")
    assert np.allclose(b.weights, radon["floor"])
    assert np.allclose(b.Z[np.arange(len(radon)), b.index], radon["floor"])
    assert np.allclose(b.Z.sum(axis=1), radon["floor"])
    d = bz.design("log_radon ~ floor + (1 + floor || county)", radon)
    assert [(b.coef, b.term) for b in d.blocks] == [
        ("Intercept", "(1 | county)"), ("floor", "(0 + floor | county)")]
    (b,) = bz.design("log_radon ~ floor + (1 + floor | county)", radon).blocks
    assert (b.coef, b.structure.coefs, b.weights.shape) == (None, ("Intercept", "floor"),
                                                             (len(radon), 2))


def test_several_and_nested_grouping(radon_full):
    d = bz.design("log_radon ~ floor + (1 | state) + (1 | state:county)", radon_full)
    assert [b.name for b in d.blocks] == ["state", "state:county"]
    b = d.blocks[1]
    assert b.term == "(1 | state:county)"
    assert all("_" in lab for lab in b.labels)
    key = radon_full["state"].astype(str) + "_" + radon_full["county"].astype(str)
    assert [b.labels[i] for i in b.index[:50]] == list(key[:50])
    assert b.Z.shape[1] == key.nunique()
    d2 = bz.design("log_radon ~ floor + (1 | state/county)", radon_full)
    assert [(x.name, x.term) for x in d2.blocks] == [(x.name, x.term) for x in d.blocks]
    assert all(np.array_equal(x.Z, y.Z) for x, y in zip(d.blocks, d2.blocks, strict=True))


def test_smooth_options(mcycle):
    d = bz.design("accel ~ s(times)", mcycle)  # mgcv/brms default: tp, k = 10
    assert d.smooths[0].bs == "tp" and d.blocks[0].Z.shape == (133, 8)
    d = bz.design('accel ~ s(times, bs = "ps", k = 12)', mcycle)
    assert d.smooths[0].bs == "ps" and d.blocks[0].Z.shape == (133, 10)
    for fx in ("TRUE", "True", "T"):
        d = bz.design(f"accel ~ 1 + s(times, bs='cr', k=10, fx={fx})", mcycle)
        assert d.blocks == [] and d.column_names == ["Intercept"] + [
            f"stimes_{i}" for i in range(1, 10)]
        assert d.smooths[0].blocks == [] and d.smooths[0].fixed_columns == list(range(1, 10))
    d = bz.design("accel ~ s(times, bs='cr', k=10, fx=FALSE, sp=1e7)", mcycle)
    assert d.blocks[0].sp == 1e7
    assert bz.design("accel ~ s(times, bs='cr', sp=2)", mcycle).blocks[0].sp == 2.0


def test_for_newdata(mcycle, radon):
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    new = pd.DataFrame({"times": [2.4, 10.5, 57.6, 65.0]})
    nd = d.for_newdata(new)
    assert nd.y is None and nd.column_names == d.column_names
    from bayeszoo.smooths import evaluate_smooth

    Xf, (Zr,) = evaluate_smooth(d.smooths[0].state, {"times": new["times"]})
    assert np.allclose(nd.X[:, 1:], Xf) and np.allclose(nd.blocks[0].Z, Zr)
    assert nd.blocks[0].reml_offset == d.blocks[0].reml_offset

    d = bz.design("log_radon ~ floor + (1 | county)", radon)
    assert d.terms.response == "log_radon" and d.terms.fixed == ["floor"]
    assert [(t.lhs, t.group) for t in d.terms.random] == [("1", "county")]
    assert d.for_newdata(radon.head(3)).terms is d.terms
    with pytest.raises(ValueError, match="NOWHERE.*county"):
        d.for_newdata(pd.DataFrame({"floor": [0], "county": ["NOWHERE"]}))
    nd = d.for_newdata(pd.DataFrame({"floor": [0, 1], "county": ["NOWHERE", "ANOKA"]}),
                       allow_new_levels=True)
    Z = nd.blocks[0].Z
    assert Z[0].sum() == 0 and Z[1, 1] == 1 and nd.blocks[0].weights[0] == 0
    d = bz.design("log_radon ~ floor + county", radon)
    with pytest.raises(ValueError, match="NOWHERE"):
        d.for_newdata(pd.DataFrame({"floor": [0], "county": ["NOWHERE"]}))
    nd = d.for_newdata(radon.iloc[:5])
    assert np.allclose(nd.X, d.X[:5]) and np.allclose(nd.y, d.y[:5])


def test_quotes_and_backticks():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"my y": rng.normal(size=30), "a.b": rng.uniform(size=30),
                       "c d": list("abc") * 10})
    with pytest.warns(UserWarning, match=r"\['Intercept'\] are linear combinations"):
        d = bz.design("`my y` ~ a.b + `c d` + s(`a.b`, bs='cr', k=5) + (1 | `c d`)", df)
    assert d.response == "my y"
    # a.b and s(a.b)'s linear column span the intercept: mgcv zeroes it, the design drops it
    assert d.column_names == ["a.b", "cdb", "cdc", "sa.b_1"] and d.aliased == ("Intercept",)
    assert d.blocks[1].name == "c d" and d.blocks[0].term == "s(a.b)"


@pytest.mark.parametrize("formula, pattern", [
    ("log_radon ~ floor + cuonty", "cuonty"),
    ("log_radon ~ floor + (1 | cuonty)", "cuonty"),
    ("log_radon ~ s(county)", r"s\(county\).*factor"),
    ("log_radon ~ s(floor, bs='re')", "needs a factor"),
    ("log_radon ~ s(log_uranium, bs='cr', k=200)", r"85\) to support 200 knots: reduce k"),
    ("log_radon ~ s(log_uranium, bs='zz')", "unknown basis bs='zz'"),
    ("log_radon ~ s(log_uranium, bs='cr', by=flor)",
     r"unknown column 'flor' in term s\(log_uranium"),
    ("log_radon ~ s(log_uranium, bs=cr)", 'bs must be a quoted string: write bs="cr"'),
    ("log_radon ~ floor +", "position 19"),
    ("log_radon ~ (floor", "position 12"),
    ("log_radon floor", "response ~ terms"),
    ("log_radon ~ floor ~ county", "more than one"),
    ("log_radon ~ s(log_uranium, k=x)", "k="),
    ("log_radon ~ te(county, log_uranium)", r"te\(county,log_uranium\).*factor"),
    ("log_radon ~ cs(floor)", "not supported"),
])
def test_errors_name_the_term(radon, formula, pattern):
    with pytest.raises(ValueError, match=pattern):
        bz.design(formula, radon)


def test_unknown_column_is_also_a_key_error(radon):
    with pytest.raises(KeyError):
        bz.design("log_radon ~ nope", radon)
    with pytest.raises(UnknownColumnError, match="nope"):
        bz.design("nope ~ floor", radon)


def test_nan_in_used_column(radon):
    df = radon.copy()
    df.loc[[3, 7], "log_uranium"] = np.nan
    with pytest.raises(ValueError, match=r"'log_uranium' \(2 rows, term log_uranium\)"):
        bz.design("log_radon ~ log_uranium", df)
    with pytest.raises(ValueError, match=r"terms floor:log_uranium, s\(log_uranium, k=5\)"):
        bz.design("log_radon ~ floor + floor:log_uranium + s(log_uranium, k=5)", df)
    bz.design("log_radon ~ floor", df)  # unused column: fine
    with pytest.warns(UserWarning, match="dropped 2 of 919"):
        d = bz.design("log_radon ~ log_uranium + (1 | county)", df, na_action="drop")
    assert d.n == 917 and d.blocks[0].Z.shape[0] == 917


def test_malformed_shows_position():
    df = pd.DataFrame({"y": [1.0, 2.0], "x": [1.0, 2.0]})
    with pytest.raises(FormulaError) as e:
        bz.design("y ~ x + s(x", df)
    assert "position 9" in str(e.value) and "^" in str(e.value)
    with pytest.raises(FormulaError, match="position 8: operator '\\*' without"):
        bz.design("y ~ x + * x", df)
    with pytest.raises(FormulaError, match="position 5: operator ':' without"):
        bz.design("y ~ x:", df)


def _neg_reml(X, blocks, y, scale, sps):
    """-log restricted likelihood of the mixed-model form, plus the blocks' reml_offset."""
    n, p = X.shape
    V = np.eye(n)
    for b, sp in zip(blocks, sps, strict=True):
        V = V + b.Z @ b.Z.T / sp
    V = scale * V
    Vi = np.linalg.inv(V)
    XtViX = X.T @ Vi @ X
    beta = np.linalg.solve(XtViX, X.T @ Vi @ y)
    r = y - X @ beta
    nl = 0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + r @ Vi @ r)
    return nl + (n - p) / 2 * np.log(2 * np.pi) + sum(b.reml_offset for b in blocks)


def test_reml_offset_gives_mgcv_reml_score(mgcv_ref, mcycle, radon):
    ref = mgcv_ref["gam_mcycle_cr_k20"]
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    score = _neg_reml(d.X, d.blocks, d.y, ref["scale"], [ref["sp"]])
    assert abs(score - ref["reml"]) < 1e-6  # 616.00938
    ref = mgcv_ref["gam_radon_re"]
    d = bz.design('log_radon ~ 1 + s(county, bs="re")', radon)
    score = _neg_reml(d.X, d.blocks, d.y, ref["scale"], [ref["sp"]])
    assert abs(score - ref["reml"]) < 1e-6  # 1092.429
    ref = mgcv_ref["gam_mcycle_cr_k50_fx"]
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=50, fx=TRUE)", mcycle)
    assert abs(_neg_reml(d.X, [], d.y, ref["scale"], []) - ref["reml"]) < 1e-6  # 403.46


@pytest.mark.parametrize("key, extra", [("gam_mcycle_cr_k20", ""),
                                        ("gam_mcycle_cr_k20_sp1e7", ", sp=1e7")])
def test_penalized_fit_with_mgcv_sp(mgcv_ref, mcycle, key, extra):
    ref = mgcv_ref[key]
    d = bz.design(f"accel ~ 1 + s(times, bs='cr', k=20{extra})", mcycle)
    sp = d.blocks[0].sp if d.blocks[0].sp is not None else ref["sp"]
    W = np.column_stack([d.X, d.blocks[0].Z])
    P = np.diag([0.0] * d.X.shape[1] + [sp] * d.blocks[0].size)
    A = np.linalg.solve(W.T @ W + P, W.T)
    assert np.max(np.abs(W @ (A @ d.y) - np.array(ref["fitted"]))) < 1e-8
    assert abs(np.trace(W @ A) - ref["edf_total"]) < 1e-8


# ---------------------------------------------------------------------------------------------
# property tests of the parser
# ---------------------------------------------------------------------------------------------


def _synthetic(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    return pd.DataFrame({
        "y": rng.normal(size=n),
        "x1": rng.uniform(0, 1, n),
        "x2": rng.normal(size=n),
        "x 3": rng.uniform(-1, 1, n),
        "a.b": rng.normal(size=n),
        "f": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"]),
        "g": pd.Categorical(rng.choice(list("abcd"), n)),
        "h": rng.choice(["u", "v"], n),
    })


SYN = _synthetic()
FIXED = ["x1", "x2", "f", "`x 3`", "a.b", "x1:x2", "x1:f", "x2*h"]
RANDOM = ["(1 | g)", "(0 + x1 | g)", "(1 + x2 || h)", "(1 | g:h)", "(1 | f/g)", "(1 + x1 | h)"]


@st.composite
def formulas(draw):
    sp = draw(st.sampled_from(["", " "]))
    icpt = draw(st.sampled_from(["", "1", "0", "-1"]))
    fixed = draw(st.lists(st.sampled_from(FIXED), unique=True, max_size=4))
    rand = draw(st.lists(st.sampled_from(RANDOM), unique=True, max_size=2))
    if "(1 | g)" in rand and "(1 | f/g)" in rand:
        rand.remove("(1 | f/g)")
    smooths = []
    for var in draw(st.lists(st.sampled_from(["x1", "x2"]), unique=True, max_size=2)):
        q = draw(st.sampled_from(["'", '"']))
        args = [var]
        bs = draw(st.sampled_from([None, "cr", "tp", "ps", "re"]))
        if bs == "re":
            var = "g"
            args = ["g"]
        if bs:
            args.append(f"bs{sp}={sp}{q}{bs}{q}")
        if bs != "re" and draw(st.booleans()):
            args.append(f"k={draw(st.integers(4, 8))}")
        if draw(st.booleans()):
            args.append("fx=" + draw(st.sampled_from(["TRUE", "FALSE", "True", "False"])))
        smooths.append(f"s({', '.join(args)})")
    if any(s.startswith("s(g") for s in smooths) and any("| g)" in r for r in rand):
        rand = [r for r in rand if "| g)" not in r]
    terms = fixed + rand + smooths
    draw(st.randoms()).shuffle(terms)
    if icpt == "-1":
        body = f"{sp}+{sp}".join(terms) + f"{sp}-{sp}1" if terms else "-1"
    else:
        body = f"{sp}+{sp}".join(([icpt] if icpt else []) + terms) or "1"
    return f"y{sp}~{sp}{body}"


def _same_design(a, b):
    assert a.column_names == b.column_names
    assert np.allclose(a.X, b.X)
    assert [(x.name, x.kind, x.coef, x.term, x.labels) for x in a.blocks] == [
        (x.name, x.kind, x.coef, x.term, x.labels) for x in b.blocks]
    for x, z in zip(a.blocks, b.blocks, strict=True):
        assert np.allclose(x.Z, z.Z)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas())
def test_accepted_formulas_round_trip(formula):
    try:
        d = bz.design(formula, SYN)
    except FormulaError:
        assume(False)
    pf = parse_formula(formula)
    d2 = bz.design(pf.to_string(), SYN)
    _same_design(d, d2)
    # and through the prediction path on the same rows
    _same_design(d, d.for_newdata(SYN))
    assert parse_formula(pf.to_string()).to_string() == pf.to_string()
    for b in d.blocks:
        if b.kind == "re":
            w = b.weights.reshape(d.n, -1)
            for c in range(w.shape[1]):
                assert np.allclose(b.Z[np.arange(d.n), b.index * w.shape[1] + c], w[:, c])
            assert np.count_nonzero(b.Z, axis=1).max() <= w.shape[1]


NAMES = st.text(alphabet="abcXYZ019 ._-()", min_size=1, max_size=10).filter(
    lambda s: s != "y")


@settings(max_examples=80, deadline=None)
@given(NAMES, st.booleans())
def test_odd_column_names_are_handled_or_rejected(name, backticks):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(size=20), name: rng.uniform(size=20)})
    ref = f"`{name}`" if backticks else name
    for formula in (f"y ~ {ref}", f"y ~ s({ref}, bs='cr', k=5)"):
        try:
            d = bz.design(formula, df)
        except ValueError as e:
            assert isinstance(e, FormulaError)
            assert not backticks or name.strip() == "", (formula, e)
            continue
        if not backticks:
            continue  # a bare name means what R would read (``0`` drops the intercept...)
        assert d.X.shape == (20, 2)
        if formula.startswith("y ~ s("):
            assert d.smooths[0].variables == (name,)
        else:
            assert d.column_names[1] == brms_name(name)
    g = pd.DataFrame({"y": rng.normal(size=20), name: list("ab") * 10})
    try:
        d = bz.design(f"y ~ (1 | {ref})", g)
        assert d.blocks[0].name == name and d.blocks[0].labels == ["a", "b"]
    except ValueError as e:
        assert isinstance(e, FormulaError) and not backticks


def test_constant_fixed_parts_match_formulaic():
    """``1`` and ``0`` are built without formulaic: the same columns, names and state as
    formulaic gives, and the same columns when evaluated from that state."""
    import formulaic

    from bayeszoo.formula.expressions import CONSTANT_SPECS, evaluate, fit_expression

    frame = pd.DataFrame({"_bzv0_": np.arange(5.0)})
    for spec in CONSTANT_SPECS:
        mm = formulaic.model_matrix(spec, frame, na_action="raise")
        X, names, state = fit_expression(spec, frame, {}, "the fixed effects")
        np.testing.assert_array_equal(X, np.asarray(mm, dtype=float))
        assert names == state["columns"] == [str(c) for c in mm.columns]
        assert state["transform_state"] == dict(mm.model_spec.transform_state)
        np.testing.assert_array_equal(evaluate(state, frame.iloc[:3], {}, "new data"),
                                      np.asarray(mm, dtype=float)[:3])
