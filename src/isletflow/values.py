"""Frozen value classes that are cheap to make: ``@value`` on a frozen, slotted dataclass.

A cohort makes several small frozen values per step of every case (an event, the step's
``ActionResult``, the policy's ``Move``, a pressure reading). A frozen dataclass's generated
``__init__`` writes each field through ``object.__setattr__``, which was about 12 % of a cohort
case's engine time. ``value`` swaps in an ``__init__`` with the same signature that writes each
slot through the slot's own descriptor: about a third cheaper, and the instance is the same
frozen dataclass (``replace``, ``fields``, equality, ``FrozenInstanceError`` all unchanged).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

__all__ = ["value"]

_T = TypeVar("_T")


def value(cls: type[_T]) -> type[_T]:
    """Give the frozen, slotted dataclass ``cls`` a cheaper ``__init__`` of the same signature."""
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not (cls.__dataclass_params__.frozen and "__slots__" in cls.__dict__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} must be a frozen dataclass with slots=True")
    if hasattr(cls, "__post_init__") or any(not f.init for f in params):
        raise TypeError(f"{cls.__name__}: __post_init__ and init=False fields are not supported")
    signature = inspect.signature(cls.__init__)
    namespace: dict[str, Any] = {}
    body = []
    for field in params:
        namespace[f"_set_{field.name}"] = cls.__dict__[field.name].__set__
        if field.default_factory is not dataclasses.MISSING:
            namespace[f"_make_{field.name}"] = field.default_factory
            body.append(f"    if {field.name} is _UNSET: {field.name} = _make_{field.name}()")
        body.append(f"    _set_{field.name}(self, {field.name})")
    # The signature the dataclass generated, its defaults bound by name (factories: a marker).
    texts = []
    for parameter in list(signature.parameters.values())[1:]:
        field = next(f for f in params if f.name == parameter.name)
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{field.name}"] = field.default
            texts.append((parameter.kind, f"{field.name}=_default_{field.name}"))
        elif field.default_factory is not dataclasses.MISSING:
            texts.append((parameter.kind, f"{field.name}=_UNSET"))
        else:
            texts.append((parameter.kind, field.name))
    namespace["_UNSET"] = _UNSET
    positional = [text for kind, text in texts if kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [text for kind, text in texts if kind is inspect.Parameter.KEYWORD_ONLY]
    arguments = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({arguments}):\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory default>"


_UNSET = _Unset()
