"""A fit's data frame as netCDF variables and back, exactly: every column's values, dtype,
missing values, factor categories and name, so that a fit saved and loaded rebuilds the design,
the report and the refits from the very data it was fitted to.

Column ``i`` is stored as ``data__<i>`` (dimension ``obs``) with, where needed,
``data__<i>__missing`` (int8: 0 present, else which missing value: ``None``, NaN, ``pd.NA``,
``pd.NaT``), ``data__<i>__imag`` (a complex column's imaginary part) and
``data__<i>__categories`` (a factor's categories, stored the same way along a dimension of their
own); its name, dtype and encoding are JSON in ``attrs["data_columns"]``, a list in column order.
Numbers of every width, booleans, strings, factors, dates (with or without a time zone),
durations, periods, pandas' nullable types and object columns of one Python type (str, bool,
int, float) are stored; :func:`check_storable` refuses any other column before sampling, naming
it. Fits saved before this layout (``attrs["data_columns"]`` a dict) are read by
:func:`legacy_frame`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

PREFIX = "data__"
#: the missing values an object column may hold, by their code in ``data__<i>__missing``
MISSING_CODES = {1: None, 2: float("nan"), 3: pd.NA, 4: pd.NaT}
#: the element types an object column may hold (one of them throughout), and how to store them
ELEMENTS = {"str": (str, str, ""), "bool": ((bool, np.bool_), bool, False),
            "int": ((int, np.integer), np.int64, 0), "float": ((float, np.floating), float, 0.0)}
NULLABLE = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


class UnstorableColumn(ValueError):
    """A column a fit cannot store and give back exactly; the message says why."""


def encode_frame(data: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, list[str]],
                                              list[dict[str, Any]]]:
    """``(arrays, dims, meta)``: the netCDF variables of ``data``'s columns, their dimensions
    and the JSON-ready description :func:`decode_frame` restores them from. Raises
    :class:`UnstorableColumn` naming a column it cannot store."""
    arrays: dict[str, np.ndarray] = {}
    dims: dict[str, list[str]] = {}
    meta = []
    for i, (name, s) in enumerate(data.items()):
        plain = _json_name(name)
        try:
            meta.append({"name": plain, **_encode(s, f"{PREFIX}{i}", "obs", arrays, dims)})
        except UnstorableColumn as exc:
            raise UnstorableColumn(f"column {name!r} (dtype {s.dtype}) cannot be stored with "
                                   f"the fit, which keeps its data to predict, report and refit "
                                   f"later: {exc}; convert it or drop it from the data frame "
                                   f"(df.drop(columns=[{name!r}])) before fitting") from None
    return arrays, dims, meta


def decode_frame(meta: list[dict[str, Any]], get: Callable[[str], np.ndarray]) -> pd.DataFrame:
    """The data frame :func:`encode_frame` described by ``meta``; ``get(name)`` returns a stored
    variable's values."""
    cols = [_decode(m, f"{PREFIX}{i}", get) for i, m in enumerate(meta)]
    out = pd.concat(cols, axis=1) if cols else pd.DataFrame()
    out.columns = [m["name"] for m in meta]
    return out


def check_storable(data: pd.DataFrame | None) -> None:
    """``ValueError`` naming a column of ``data`` that a fit could not store and give back
    exactly (a column of lists, intervals, mixed Python types, a name that is neither a string
    nor an integer), so that it is said before sampling rather than at ``bz.save``."""
    if data is None:
        return
    for name in data.columns:
        _json_name(name)
    # a plain NumPy number column is stored as it is; only the others are tried both ways
    others = [j for j, dt in enumerate(data.dtypes)
              if not (isinstance(dt, np.dtype) and dt.kind in "biuf")]
    data = data.iloc[:, others]
    arrays, _, meta = encode_frame(data)
    back = decode_frame(meta, arrays.__getitem__)
    for j, name in enumerate(data.columns):
        try:
            with warnings.catch_warnings():  # pandas' notes on future checks of an index's freq
                warnings.simplefilter("ignore")
                pd.testing.assert_series_equal(back.iloc[:, j], data.iloc[:, j],
                                               check_exact=True, check_names=False)
        except AssertionError as exc:
            reason = " ".join(str(exc).split())
            raise UnstorableColumn(f"column {name!r} (dtype {data.iloc[:, j].dtype}) would not "
                                   f"come back exactly from a saved fit ({reason}); convert it or "
                                   f"drop it from the data frame (df.drop(columns=[{name!r}])) "
                                   "before fitting") from None


def legacy_frame(meta: dict[str, dict], constant, observed) -> pd.DataFrame:
    """The data frame of a fit saved before :func:`encode_frame`'s layout: columns by name in
    ``constant`` (or ``observed``, for a numeric response), factors and strings as text with
    ``""`` for a missing value."""
    out = {}
    for col, m in meta.items():
        vals = np.asarray((observed if m.get("observed") else constant)[col].values)
        if m["dtype"] == "category":
            vals = np.where(vals == "", None, vals.astype(object))
            out[col] = pd.Categorical(vals, categories=m["categories"], ordered=m["ordered"])
        elif m["dtype"] == "object":
            out[col] = pd.Series(vals.astype(object)).replace("", None).to_numpy()
        else:
            out[col] = vals.astype(m["dtype"])
    return pd.DataFrame(out)


def _json_name(name):
    plain = name.item() if isinstance(name, np.generic) else name
    if isinstance(plain, bool) or not isinstance(plain, str | int):
        raise UnstorableColumn(f"column name {name!r} ({type(name).__name__}) cannot be stored "
                               "with the fit: name every column with a string (df.columns = "
                               "[...]) before fitting")
    return plain


def _encode(s: pd.Series, var: str, dim: str, arrays: dict, dims: dict) -> dict[str, Any]:
    """Store ``s`` under ``var`` (and ``var__...``) along ``dim``; return its description."""
    dt = s.dtype

    def put(name: str, values: np.ndarray) -> None:
        arrays[name], dims[name] = np.asarray(values), [dim]

    def put_missing(codes: np.ndarray) -> dict[str, Any]:
        if not codes.any():
            return {}
        put(f"{var}__missing", codes.astype(np.int8))
        return {"missing": True}

    m: dict[str, Any] = {"dtype": str(dt)}
    if isinstance(dt, pd.CategoricalDtype):
        put(var, s.cat.codes.to_numpy())
        cvar = f"{var}__categories"
        return m | {"how": "category", "ordered": bool(dt.ordered),
                    "categories": _encode(pd.Series(dt.categories), cvar, cvar, arrays, dims)}
    if isinstance(dt, pd.DatetimeTZDtype | pd.PeriodDtype):
        put(var, s.array.asi8)  # NaT is the smallest int64 and comes back as NaT
        return m | {"how": "i8"}
    if isinstance(dt, pd.StringDtype):
        put(var, _text(s.to_numpy(dtype=object, na_value="").tolist()))
        return m | {"how": "nullable"} | put_missing(s.isna().to_numpy())
    if isinstance(s.array, NULLABLE):
        put(var, s.to_numpy(dtype=dt.numpy_dtype, na_value=dt.numpy_dtype.type(0)))
        return m | {"how": "nullable"} | put_missing(s.isna().to_numpy())
    if not isinstance(dt, np.dtype):
        raise UnstorableColumn("a fit stores numbers, strings, factors, dates and durations")
    if dt.kind in "mM":
        put(var, s.to_numpy().view(np.int64))
        return m | {"how": "view"}
    if dt.kind == "c":
        put(var, s.to_numpy().real)
        put(f"{var}__imag", s.to_numpy().imag)
        return m | {"how": "complex"}
    if dt.kind in "biuf":  # netCDF has no 16-bit float: widened, then narrowed back exactly
        put(var, s.to_numpy(dtype=np.float32 if dt == np.float16 else dt))
        return m | {"how": "numpy"}
    if dt.kind == "O":
        return m | _encode_objects(s, var, put, put_missing)
    raise UnstorableColumn("a fit stores numbers, strings, factors, dates and durations")


def _encode_objects(s: pd.Series, var: str, put, put_missing) -> dict[str, Any]:
    vals = s.to_numpy()
    codes = np.zeros(len(vals), dtype=np.int8)
    for i in np.flatnonzero(pd.isna(vals)):
        code = next((c for c, v in MISSING_CODES.items()
                     if vals[i] is v or (c == 2 and isinstance(vals[i], float | np.floating))),
                    None)
        if code is None:
            raise UnstorableColumn(f"its missing value {vals[i]!r} at row {i} is none of None, "
                                   "NaN, pd.NA and pd.NaT")
        codes[i] = code
    present = vals[codes == 0]
    types = {type(v) for v in present}
    element = next((k for k, (ts, _, _) in ELEMENTS.items()
                    if all(issubclass(t, ts) and (k != "int" or not issubclass(t, bool | np.bool_))
                           for t in types)), None)
    if element is None:
        names = sorted(t.__name__ for t in types)
        raise UnstorableColumn(f"it holds Python objects of types {names}, not one of str, "
                               "bool, int or float (.astype(str) makes them text)")
    _, np_type, fill = ELEMENTS[element]
    filled = np.where(codes == 0, vals, fill).tolist()
    try:
        stored = _text(filled) if element == "str" else np.asarray(filled, dtype=np_type)
    except OverflowError:
        raise UnstorableColumn("it holds integers beyond the int64 range") from None
    put(var, stored)
    return {"how": "object", "element": element} | put_missing(codes)


def _text(values: list[str]) -> np.ndarray:
    """Strings as a NumPy text array; netCDF ends a string at a NUL character, so none may
    hold one."""
    bad = next((v for v in values if "\x00" in v), None)
    if bad is not None:
        raise UnstorableColumn(f"its value {bad!r} holds a NUL character (\\x00), where a "
                               "stored string would end")
    return np.asarray(values, dtype=str)


def _decode(m: dict[str, Any], var: str, get: Callable[[str], np.ndarray]) -> pd.Series:
    how = m["how"]
    vals = np.asarray(get(var))
    if how == "category":
        categories = pd.Index(_decode(m["categories"], f"{var}__categories", get))
        dtype = pd.CategoricalDtype(categories, ordered=m["ordered"])
        return pd.Series(pd.Categorical.from_codes(vals, dtype=dtype))
    dt = pd.api.types.pandas_dtype(m["dtype"])
    missing = np.asarray(get(f"{var}__missing")) if m.get("missing") else None
    if how == "i8":
        if isinstance(dt, pd.PeriodDtype):
            return pd.Series(pd.arrays.PeriodArray(vals.astype(np.int64), dtype=dt))
        utc = pd.Series(vals.astype(np.int64).view(f"M8[{dt.unit}]")).dt.tz_localize("UTC")
        return utc.dt.tz_convert(dt.tz)
    if how == "view":
        return pd.Series(vals.astype(np.int64).view(dt))
    if how == "complex":
        out = np.empty(len(vals), dtype=dt)
        out.real, out.imag = vals, np.asarray(get(f"{var}__imag"))
        return pd.Series(out)
    if how == "numpy":
        return pd.Series(vals.astype(dt))
    if how == "nullable":
        out = pd.Series(vals.astype(object) if isinstance(dt, pd.StringDtype) else vals,
                        dtype=dt)
        return out if missing is None else out.mask(missing != 0)
    objs = np.empty(len(vals), dtype=object)
    objs[:] = vals.tolist()
    if missing is not None:
        for code, value in MISSING_CODES.items():
            objs[missing == code] = value
    return pd.Series(objs, dtype=object)
