"""Fuzzed formulas and data frames: every input builds a design that agrees with formulaic (the
fixed effects) and with the mgcv-equivalent smooth bases, or raises the project's own
ValueError/KeyError/TypeError naming a column, term or the formula; never another exception, a
hang or a silent drop of rows."""

import os
import re
import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import bayeszoo as bz
from bayeszoo.smooths import SmoothSpec, fit_smooth

#: Column names a user may have: plain, with a dot, non-ASCII letters, spaces (backticks).
NAMES = ["x", "x.1", "été", "größe", "my col", "ä b", "z_2", "g", "Δt"]
NUMBERS = st.one_of(
    st.floats(-1e3, 1e3, allow_nan=False),
    st.sampled_from([0.0, 1e-300, -1e-300, 1e300, -1e300, 1e154, np.nan, np.inf, -np.inf]),
)
LEVELS = ["a", "b", "ç", "level 4"]
#: Examples per property and a fixed example sequence in CI; for a long hunt set
#: BAYESZOO_FUZZ_EXAMPLES=2000 and BAYESZOO_FUZZ_RANDOM=1 (new examples each run).
EXAMPLES = int(os.environ.get("BAYESZOO_FUZZ_EXAMPLES", 150))
SETTINGS = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=30),
                    derandomize=not os.environ.get("BAYESZOO_FUZZ_RANDOM"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def ref(name: str) -> str:
    """The column as a formula writes it: bare when R would read it, else in backticks."""
    return name if re.fullmatch(r"[^\W\d][\w.]*", name) else f"`{name}`"


@st.composite
def frames(draw):
    n = draw(st.integers(0, 14))
    k = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(NAMES[:-1]), min_size=k, max_size=k, unique=True))
    cols = {}
    for name in names:
        kind = draw(st.sampled_from(["numeric", "numeric", "constant", "factor", "one-level",
                                     "integer", "bool", "mixed", "dates"]))
        if kind == "numeric":
            cols[name] = draw(st.lists(NUMBERS, min_size=n, max_size=n))
        elif kind == "constant":
            cols[name] = [draw(NUMBERS)] * n
        elif kind == "integer":
            cols[name] = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
        elif kind == "bool":
            cols[name] = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        elif kind == "mixed":  # an object column of numbers, strings and None (a messy CSV)
            cols[name] = draw(st.lists(st.sampled_from([1.5, "2", "n/a", None, 3]),
                                       min_size=n, max_size=n))
        elif kind == "dates":
            cols[name] = pd.date_range("2020-01-01", periods=n, freq="D")
        else:
            pool = LEVELS[:1] if kind == "one-level" else LEVELS
            vals = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
            cols[name] = pd.Categorical(vals) if draw(st.booleans()) else vals
    cols["y"] = draw(st.lists(NUMBERS, min_size=n, max_size=n))
    return pd.DataFrame(cols)


@st.composite
def formulas(draw, columns: list[str]):
    preds = [c for c in columns if c != "y"]
    terms = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["col", "col", "inter", "star", "log", "re", "smooth",
                                     "offset", "unknown", "te", "slope", "double_bar", "poly",
                                     "scale", "I", "by"]))
        a, b = draw(st.sampled_from(preds)), draw(st.sampled_from(preds))
        if kind == "col":
            terms.append(ref(a))
        elif kind == "inter":
            terms.append(f"{ref(a)}:{ref(b)}")
        elif kind == "star":
            terms.append(f"{ref(a)} * {ref(b)}")
        elif kind == "log":
            terms.append(f"log({ref(a)})")
        elif kind == "re":
            terms.append(f"(1 | {ref(a)})")
        elif kind == "smooth":
            bs = draw(st.sampled_from(["cr", "tp", "ps"]))
            k = draw(st.integers(3, 6))
            terms.append(f's({ref(a)}, bs="{bs}", k={k})')
        elif kind == "offset":
            terms.append(f"offset({ref(a)})")
        elif kind == "te":
            terms.append(f"te({ref(a)}, {ref(b)}, k=3)")
        elif kind == "slope":
            terms.append(f"(0 + {ref(a)} | {ref(b)})")
        elif kind == "double_bar":
            terms.append(f"(1 + {ref(a)} || {ref(b)})")
        elif kind == "poly":
            terms.append(f"poly({ref(a)}, 2)")
        elif kind == "scale":
            terms.append(f"scale({ref(a)})")
        elif kind == "I":
            terms.append(f"I({ref(a)}^2)")
        elif kind == "by":
            terms.append(f's({ref(a)}, by={ref(b)}, k=4)')
        else:
            terms.append(draw(st.sampled_from(["nosuch", "`no such`", "Δt"])))
    intercept = draw(st.sampled_from(["1", "0", ""]))
    rhs = " + ".join(([intercept] if intercept else []) + terms) or "1"
    lhs = draw(st.sampled_from(["y", "y", f"y | weights({ref(preds[0])})"]))
    return f"{lhs} ~ {rhs}"


def names_something(message: str, formula: str, data: pd.DataFrame) -> bool:
    """The error names a column (quoted), a term of the formula or the formula itself."""
    lhs, rhs = formula.split("~", 1)
    terms = [t.strip() for t in rhs.split("+")] + [t.strip() for t in lhs.split("|")[1:]]
    labels = []  # mgcv's labels: s(my col), te(a,b)
    for t in terms:
        m = re.fullmatch(r"(\w+)\((.*)\)", t)
        if m:
            args = [a.strip().replace("`", "") for a in m.group(2).split(",") if "=" not in a]
            labels += [f"{m.group(1)}({','.join(args)})", f"{m.group(1)}({args[0]})"]
    candidates = [formula, *(repr(str(c)) for c in data.columns), *terms, *labels]
    return any(c and c in message for c in candidates)


def formulaic_matrix(formula: str, data: pd.DataFrame) -> np.ndarray:
    """formulaic's model matrix of the formula's fixed part, the columns renamed to plain
    identifiers (formulaic, like R, reads `names` in backticks too, but this keeps it simple)."""
    from formulaic import model_matrix

    safe = {c: f"c{i}" for i, c in enumerate(data.columns)}
    rhs = formula.split("~", 1)[1]
    for name in sorted(safe, key=len, reverse=True):
        rhs = rhs.replace(f"`{name}`", safe[name])
        rhs = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", safe[name], rhs)
    rhs = rhs.replace("^", "**")  # R's power (Python's ^ is xor)
    frame = data.rename(columns=safe)
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = pd.Categorical(frame[c])
    return np.asarray(model_matrix(rhs.strip(), frame, na_action="raise"), dtype=float)


def check_design(formula: str, data: pd.DataFrame, d) -> None:
    assert d.n == len(data), "rows silently dropped"
    assert np.all(np.isfinite(d.X)), "a non-finite design column was accepted"
    fixed_only = not re.search(r"\||s\(|te\(|offset\(|poly\(|scale\(", formula)
    if fixed_only:
        ours = np.asarray(d.X, dtype=float)
        theirs = formulaic_matrix(formula, data)
        assert ours.shape == theirs.shape, (d.column_names, theirs.shape)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for info in d.smooths:
        if info.state is None:
            continue
        spec = info.state["spec"]
        term = fit_smooth(SmoothSpec(kind="s", variables=tuple(spec["variables"]),
                                     bs=spec["bs"], k=spec["k"]),
                          data.rename(columns=str))
        np.testing.assert_allclose(d.X[:, info.fixed_columns], term.Xf, rtol=1e-8, atol=1e-10)
        for j, blk in zip(info.blocks, term.blocks, strict=True):
            np.testing.assert_allclose(d.blocks[j].Z, blk.Z, rtol=1e-8, atol=1e-10)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_fuzzed_formula_and_data_build_or_fail_cleanly(data):
    df = data.draw(frames())
    formula = data.draw(formulas(list(df.columns)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            d = bz.design(formula, df)
        except (ValueError, KeyError, TypeError) as exc:
            event(f"refused: {type(exc).__name__}")
            message = str(exc)
            assert type(exc).__module__.startswith("bayeszoo") or isinstance(
                exc, ValueError | KeyError | TypeError)
            assert names_something(message, formula, df), (formula, message)
            return
    event("built")
    check_design(formula, df, d)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_fuzzed_new_data_evaluates_or_fails_cleanly(data):
    """A design evaluated on fuzzed new data (the stored states, as predict and load do)."""
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=30), "g": rng.choice(["a", "b", "c"], 30),
                          "y": rng.normal(size=30)})
    d = bz.design('y ~ x + g + s(x, bs="cr", k=5)', train)
    n = data.draw(st.integers(0, 6))
    new = pd.DataFrame({"x": data.draw(st.lists(NUMBERS, min_size=n, max_size=n)),
                        "g": data.draw(st.lists(st.sampled_from(["a", "b", "zz", "ç"]),
                                                min_size=n, max_size=n))})
    if data.draw(st.booleans()):
        new = new.drop(columns=data.draw(st.sampled_from(["x", "g"])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nd = d.for_newdata(new)
        except (ValueError, KeyError, TypeError) as exc:
            assert names_something(str(exc), d.formula, new) or "zz" in str(exc) \
                or "ç" in str(exc), str(exc)
            return
    assert nd.n == len(new)
    assert np.all(np.isfinite(nd.X))


# ----------------------------------------------------------------------------- what it found


def test_found_mixed_strings_and_numbers_are_refused_not_coded_as_the_reference():
    df = pd.DataFrame({"x": [2, "2", 1.5, 3, 2], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(ValueError, match=r"column 'x' mixes strings and other values.*astype"):
        bz.design("y ~ x", df)


@pytest.mark.parametrize("value, match", [
    (np.inf, r"s\(`my col`, bs=\"cr\", k=3\): column 'my col' holds a non-finite value "
             r"\(inf\) at row 2"),
    (1e300, r"s\(`my col`, bs=\"cr\", k=3\): the basis overflows .*'my col' from .* to "
            r"1e\+300"),
])
def test_found_smooth_covariates_that_break_the_basis_are_named(value, match):
    df = pd.DataFrame({"my col": [0.0, 1.0, value, 3.0, 4.0, 5.0], "y": np.arange(6.0)})
    with pytest.raises(ValueError, match=match):
        bz.design('y ~ s(`my col`, bs="cr", k=3)', df)
    good = bz.design('y ~ s(`my col`, bs="cr", k=3)', df.assign(**{"my col": np.arange(6.0)}))
    with pytest.raises(ValueError, match=r"column 'my col' holds a non-finite value"):
        good.for_newdata(pd.DataFrame({"my col": [np.inf]}))


def test_found_offsets_weights_and_large_columns_name_the_term_not_an_alias():
    df = pd.DataFrame({"ä b": [1.0, -np.inf, 2.0], "w": [1.0, -1.0, 1.0], "big": [1e300] * 3,
                       "y": [0.1, 0.2, 0.3]})
    with pytest.raises(ValueError, match=r"offset\(`ä b`\)") as info:
        bz.design("y ~ offset(`ä b`)", df)
    assert "_bzv" not in str(info.value)
    with pytest.raises(ValueError, match=r"weights .* row 1 .*in 'y \| weights\(w\) ~ 1'"):
        bz.design("y | weights(w) ~ 1", df)
    with pytest.raises(ValueError, match=r"in 'y ~ big', the fixed-effect column 'big'"):
        bz.design("y ~ big", df)
