"""The confirmed set the engine uses, per application, rebuilt when another process or request changed it."""
from __future__ import annotations

import threading

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..engine.parameters import ParameterSet, load_documents, parse_documents
from ..models import ParamState
from .export import export_documents
from .seed import seed


class Provider:
    """Per application: the confirmed set, rebuilt when another process or request changed it. The set is
    known by its generation and its version (a digest of its content), so a database restored to an
    earlier state, whose generation number comes round again, is never served another set."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._params: ParameterSet | None = None

    def get(self, session: Session) -> ParameterSet:
        state = session.get(ParamState, 1)
        if state is None:
            self._seed_first_run(session)
            state = session.get(ParamState, 1)
        key = (state.generation, state.version)
        if key != self._key:
            with self._lock:
                if key != self._key:
                    self._params = parse_documents(export_documents(session))
                    self._key = key
        return self._params

    @staticmethod
    def _seed_first_run(session: Session) -> None:
        """An empty database gets the shipped figures (in its own transaction)."""
        with Session(session.get_bind()) as own:
            if own.get(ParamState, 1) is None:
                try:
                    seed(own, load_documents())
                    own.commit()
                except IntegrityError:          # another process seeded it first
                    own.rollback()


def today_version(session: Session) -> str:
    state = session.get(ParamState, 1)
    return state.version if state else ""
