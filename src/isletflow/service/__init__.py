"""isletflow over HTTP: sessions stored as event logs, an OpenAPI-documented API, a trainer page.

Start it with ``isletflow serve`` (or ``create_app`` under any ASGI server). Needs the
``service`` extra: ``pip install 'isletflow[service]'``. Nothing outside this package imports it,
so ``import isletflow`` stays light.

::

    app.py         routes: scenarios, sessions, actions, clock, read-outs, the trainer page
    sessions.py    what a session is (a training session): header + event log <-> live session
    registry.py    load on demand, bounded cache, version checks
    store.py       SQL storage (SQLite by default, PostgreSQL by URL), atomic appends
    schemas.py     request and answer models published in the OpenAPI document
    middleware.py  bearer token and body size limit
"""

from .app import create_app

__all__ = ["create_app"]
