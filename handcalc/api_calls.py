"""``handcalc.attention(…)`` and ``handcalc.check(…)``: the library's two calls share their
names with the modules ``handcalc.attention`` and ``handcalc.check``, which Python binds on
the package as soon as either is imported. So each of those modules is made callable, and
calling it calls :mod:`handcalc.api`'s function of the same name."""

from __future__ import annotations

import sys


def callable_module(name: str, function: str) -> None:
    """Make the module ``name`` callable as ``handcalc.api.<function>``."""
    module = sys.modules[name]

    class CallableModule(type(module)):
        def __call__(self, *args, **kwargs):
            from handcalc import api

            return getattr(api, function)(*args, **kwargs)

    CallableModule.__doc__ = f"The module {name}, which is also the call handcalc.api.{function}."
    module.__class__ = CallableModule
