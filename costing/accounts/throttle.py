"""Sign-in throttling by client, in the database (so it holds across server processes): a client that failed
too often with one name, or with any names, waits; nobody else does. The account is never locked for its
owner. Failures are keyed by the name as typed, whether or not such an account exists, so the answer never
tells whether a name is real.

An attempt is written (and committed) before its password is checked and counted with the others, so
parallel guesses cannot all slip under the limit; a throttled attempt takes its row back, and a successful
one removes the failures of that name from that client."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..clock import as_utc
from ..models import LoginFailure


@dataclass(frozen=True)
class Limits:
    per_name: int = 5           # failures of one name from one client within the window
    per_client: int = 20        # failures of any names from one client within the window
    minutes: int = 15           # the window (a client waits until enough of its failures are older than it)

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_CLIENT_MAX_FAILURES"], config["LOGIN_THROTTLE_MINUTES"])


@dataclass(frozen=True)
class Attempt:
    wait_minutes: int           # 0: go ahead and check the password
    reached: bool = False       # a failure of this attempt makes the client wait (said once in the audit log)


def begin(session: Session, username: str, client: str, now: datetime, limits: Limits) -> Attempt:
    """Record an attempt as a failure until it succeeds; say how long to wait if this client has failed too often."""
    since = now - timedelta(minutes=limits.minutes)
    client, username = client[:64], username[:80]
    session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    row = LoginFailure(at=now, client=client, username=username)
    session.add(row)
    session.flush()
    row_id = row.id
    session.commit()
    by_client = _moments(session, since, LoginFailure.client == client)
    by_name = [at for at, name in by_client if name == username]
    wait = max(_wait([at for at, _ in by_client], limits.per_client, limits, now),
               _wait(by_name, limits.per_name, limits, now))
    if wait:
        session.execute(delete(LoginFailure).where(LoginFailure.id == row_id))
        session.commit()
        return Attempt(wait)
    return Attempt(0, len(by_client) == limits.per_client or len(by_name) == limits.per_name)


def succeeded(session: Session, username: str, client: str) -> None:
    """The name signed in from this client: its failures there are forgotten (others' are not)."""
    session.execute(delete(LoginFailure).where(LoginFailure.client == client[:64],
                                               LoginFailure.username == username[:80]))


def _moments(session: Session, since: datetime, where) -> list[tuple[datetime, str]]:
    return [(as_utc(at), name) for at, name in session.execute(
        select(LoginFailure.at, LoginFailure.username).where(where, LoginFailure.at >= since))]


def _wait(moments: list[datetime], limit: int, limits: Limits, now: datetime) -> int:
    """Whole minutes until fewer than ``limit`` of these failures (this attempt's among them) fall before
    it; 0 when this attempt is within the limit."""
    if len(moments) <= limit:
        return 0
    # the attempt may go once all but limit − 1 of the earlier failures have left the window
    earlier = sorted(moments)[:-1]
    free_at = earlier[len(earlier) - limit] + timedelta(minutes=limits.minutes)
    return max(1, -(-int((free_at - now).total_seconds()) // 60))


def clear_name(session: Session, username: str) -> int:
    """An administrator's 解除锁定 for an account: every client may try that name again."""
    return session.execute(delete(LoginFailure).where(LoginFailure.username == username)).rowcount


def clear_client(session: Session, client: str) -> int:
    """An administrator lifts the wait of one client address."""
    return session.execute(delete(LoginFailure).where(LoginFailure.client == client)).rowcount


def throttled_names(session: Session, now: datetime, limits: Limits) -> dict[str, int]:
    """Names some client must wait to try again, with how many clients."""
    since = now - timedelta(minutes=limits.minutes)
    rows = session.execute(select(LoginFailure.username, LoginFailure.client).where(LoginFailure.at >= since)
                           .group_by(LoginFailure.username, LoginFailure.client)
                           .having(func.count() >= limits.per_name))
    out: dict[str, int] = {}
    for name, _client in rows:
        out[name] = out.get(name, 0) + 1
    return out


def throttled_clients(session: Session, now: datetime, limits: Limits) -> list[tuple[str, int]]:
    """Client addresses that must wait to try any name, with their failures in the window."""
    since = now - timedelta(minutes=limits.minutes)
    return [tuple(row) for row in session.execute(
        select(LoginFailure.client, func.count()).where(LoginFailure.at >= since).group_by(LoginFailure.client)
        .having(func.count() >= limits.per_client).order_by(LoginFailure.client))]
