"""scipy.special's numerical kernels without scipy.special's package start-up.

`import scipy.special` costs about 0.2 s before any function is called: its `__init__` wraps
every function for the array API (parsing ~90 docstrings and importing numpy.f2py on the way).
The functions themselves are numpy ufuncs in the compiled module `scipy.special._ufuncs`.
`kernels()` imports that module with a stand-in for the `scipy.special` package (so its
`__init__` does not run), then removes the stand-in: the same ufunc objects as
`scipy.special.betainc` etc., hence the same floats, at about a third of the import cost with
scipy 1.17 (with 1.18, whose compiled modules import numpy.f2py themselves, about 0.05 s less). A
later `import scipy.special` (by advisor or anyone) imports the real package, which finds the
compiled modules already loaded. If anything about scipy's layout differs, `kernels()` falls
back to `import scipy.special` itself.

numpy and scipy are imported only when `kernels()` is first called (start-up time).
"""

from __future__ import annotations

import os
import sys
import threading
import types

_LOCK = threading.Lock()
_KERNELS = None  # the module holding betainc, betaincinv, ndtr, ndtri, stdtr, stdtrit once loaded
NAMES = ("betainc", "betaincinv", "ndtr", "ndtri", "stdtr", "stdtrit")


def kernels():
    """A module with scipy.special's betainc, betaincinv, ndtr, ndtri, stdtr and stdtrit."""
    global _KERNELS
    if _KERNELS is None:
        with _LOCK:
            if _KERNELS is None:
                _KERNELS = _load()
    return _KERNELS


def _load():
    loaded = sys.modules.get("scipy.special")
    if loaded is not None:
        return loaded
    try:
        module = _load_compiled()
        if all(hasattr(module, name) for name in NAMES):
            return module
    except Exception:  # an unexpected scipy layout: the package import below always works
        pass
    import scipy.special  # heavy/optional: the fallback, only if the compiled module could not be loaded alone

    return scipy.special


def _load_compiled():
    import scipy  # heavy/optional: imported when first used (start-up time)

    folder = os.path.join(os.path.dirname(scipy.__file__), "special")
    stand_in = types.ModuleType("scipy.special")
    stand_in.__path__ = [folder]  # a package to import submodules from; its __init__ never runs
    sys.modules["scipy.special"] = stand_in
    try:
        from scipy.special import _ufuncs  # heavy/optional: the compiled kernels alone
    finally:
        if sys.modules.get("scipy.special") is stand_in:
            del sys.modules["scipy.special"]
    return _ufuncs
