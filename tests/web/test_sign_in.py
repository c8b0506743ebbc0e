"""Signing in under attack: one answer and one amount of work whatever the name; a client that keeps failing
waits, and nobody else does (the account's owner signs in from elsewhere)."""
import re
import statistics
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from costing import clock
from costing.accounts.service import create_user
from costing.models import AuditEntry, LoginFailure, User, db

from . import world
from .world import PASSWORD, log_in

FAILED = "用户名或密码不正确"
WAIT = "登录失败次数过多，请 15 分钟后再试"


def text(response) -> str:
    return response.get_data(as_text=True)


def browser(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client, username: str, password: str = "wrong-guess-1"):
    return client.post("/login", data={"username": username, "password": password})


def test_every_failure_gets_the_same_answer(app, client):
    w = world.build()
    db.session.get(User, w.users["d_user"]).active = False
    db.session.commit()
    answers = set()
    for i, (name, password) in enumerate([("a_prep", "wrong-guess-1"), ("nobody", "wrong-guess-1"),
                                          ("d_user", PASSWORD), ("A_PREP", "wrong-guess-1")]):
        response = attempt(browser(app, f"10.0.1.{i}"), name, password)
        # the page but for the name typed, which the form keeps, and the session's own CSRF token
        page = re.sub(r'(name="csrf[-_]token"[^>]*)(content|value)="[^"]*"', r"\1", text(response))
        answers.add((response.status_code, page.replace(f'value="{name}"', 'value=""')))
    assert len(answers) == 1
    status, page = answers.pop()
    assert status == 401 and FAILED in page


def test_a_user_name_is_one_name_in_any_case(app, client):
    """「JIANGBEI.BIANZHI」 is jiangbei.bianzhi: it signs in, and no second account can take it in other letters."""
    w = world.build()
    response = attempt(browser(app, "10.0.2.1"), "  A_Prep ", PASSWORD)
    assert response.status_code == 302
    admin = log_in(app.test_client(), "admin")
    page = admin.post("/admin/users", data={"username": "A_PREP", "display_name": "冒名", "password": "first-pass-2026",
                                            "organisation": str(db.session.get(User, w.users["a_prep"]).organisation_id),
                                            "role": "preparer"})
    assert page.status_code == 400 and "用户名已被使用" in page.get_data(as_text=True)
    # failures are counted against the name in any case: A_PREP, a_Prep … are one name
    attacker = browser(app, "203.0.113.10")
    for name in ("A_PREP", "a_Prep", "A_prep"):
        assert attempt(attacker, name).status_code == 401
    assert set(db.session.scalars(select(LoginFailure.username).where(LoginFailure.client == "203.0.113.10"))) \
        == {"a_prep"}


def test_a_client_that_keeps_failing_waits_but_the_owner_signs_in_from_elsewhere(app):
    world.build()
    attacker = browser(app, "203.0.113.9")
    for _ in range(5):
        response = attempt(attacker, "admin")
        assert response.status_code == 401 and FAILED in text(response)
    # the sixth try from there waits, even with the right password
    response = attempt(attacker, "admin", PASSWORD)
    assert response.status_code == 401 and WAIT in text(response)
    # the same from that client for a name that is no account: the answer does not tell them apart
    for _ in range(5):
        attempt(attacker, "no.such.admin")
    assert WAIT in text(attempt(attacker, "no.such.admin"))
    # the owner, from their own computer, is not locked out
    log_in(browser(app, "198.51.100.20"), "admin")
    # and the attacker may still try other names from there until the client's own limit
    assert FAILED in text(attempt(attacker, "a_prep"))


def test_a_client_that_fails_with_many_names_waits_whatever_name_it_tries(app):
    world.build()
    sprayer = browser(app, "203.0.113.50")
    for i in range(20):
        assert FAILED in text(attempt(sprayer, f"guess{i}"))
    for name, password in (("a_prep", PASSWORD), ("never.seen", "x-1234567890"), ("admin", "wrong-guess-1")):
        response = attempt(sprayer, name, password)
        assert response.status_code == 401 and WAIT in text(response), name
    log_in(browser(app, "198.51.100.21"), "a_prep")
    # the administrators see the address and may lift its wait
    admin = log_in(browser(app, "198.51.100.22"), "admin")
    page = text(admin.get("/admin/users"))
    assert "受限的登录地址" in page and "203.0.113.50" in page
    admin.post("/admin/clients/unlock", data={"client": "203.0.113.50"})
    log_in(sprayer, "a_prep")
    assert "解除地址限制" in text(admin.get("/admin/audit"))


def test_the_wait_ends_with_the_window_and_an_administrators_unlock_ends_it_at_once(app, monkeypatch):
    w = world.build()
    office = browser(app, "192.0.2.7")
    for _ in range(5):
        attempt(office, "a_prep")
    assert WAIT in text(attempt(office, "a_prep", PASSWORD))
    admin = log_in(browser(app, "192.0.2.8"), "admin")
    assert "登录受限（1 个地址）" in text(admin.get("/admin/users"))
    assert admin.post(f"/admin/users/{w.users['a_prep']}/unlock").status_code == 302
    log_in(office, "a_prep").post("/logout")
    assert "解除锁定" in text(admin.get("/admin/audit"))
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"sign_in_failed", "throttled", "unlock", "sign_in"} <= actions

    # five more failures; fifteen minutes later the client may try again
    for _ in range(5):
        attempt(office, "a_prep")
    later = clock.now() + timedelta(minutes=14)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "请 1 分钟后再试" in text(attempt(office, "a_prep", PASSWORD))
    later += timedelta(minutes=1, seconds=1)
    log_in(office, "a_prep")
    # old failures are cleared away as new attempts come
    assert db.session.scalar(select(LoginFailure.id).where(LoginFailure.at < later - timedelta(minutes=15))) is None


@pytest.mark.commits          # the guesses run on their own connections at once: each must see the others' rows
def test_guesses_made_at_the_same_moment_are_counted_before_any_password_is_checked(app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"      # a check as slow as in production, so the guesses overlap
    w = world.build()
    create_user("guessed", "被猜", "the-real-one-2026", db.session.get(User, w.users["a_prep"]).organisation)
    db.session.commit()
    start = threading.Barrier(12)
    answers = []

    def guess(number):
        client = browser(app, "203.0.113.77")
        start.wait()
        answers.append(text(attempt(client, "guessed", f"guess-{number}-x")))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    checked = sum(FAILED in answer for answer in answers)
    assert len(answers) == 12 and 1 <= checked <= 5
    assert sum(WAIT in answer for answer in answers) == 12 - checked
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == checked


def test_a_known_and_an_unknown_name_do_the_same_database_work(app):
    world.build()
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)     # noqa: E731
    runs = {}
    for name in ("a_prep", "nobody.here"):
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            attempt(browser(app, "10.9.9.9"), name)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        runs[name] = [re.sub(r"sa_savepoint_\d+", "sa_savepoint", statement) for statement in statements]
        statements.clear()
    assert runs["a_prep"] == runs["nobody.here"] and len(runs["a_prep"]) >= 5


def _sign_in_medians(client, names: tuple[str, str], rounds: int = 15) -> tuple[float, float]:
    """Median milliseconds of a failed sign-in with each name; the names take turns going first."""
    times = {name: [] for name in names}
    for round_ in range(-1, rounds):
        for name in names if round_ % 2 else reversed(names):
            started = time.perf_counter()
            assert attempt(client, name).status_code == 401
            if round_ >= 0:                     # the first round warms up (the dummy hash is made once a process)
                times[name].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[names[0]]), statistics.median(times[names[1]])


def test_a_known_and_an_unknown_name_take_the_same_time(app):
    """With the real hashing method (scrypt, some 100–300 ms here). On a loaded machine one measurement may be
    off by the noise: the medians must agree within a few milliseconds in one of up to five measurements. A
    sign-in that skipped the hash for unknown names (the old one: some 10 ms against 200) never does."""
    app.config.update(PASSWORD_HASH_METHOD="scrypt", LOGIN_MAX_FAILURES=10**6, LOGIN_CLIENT_MAX_FAILURES=10**6)
    w = world.build()
    create_user("timed.user", "计时", "the-real-one-2026", db.session.get(User, w.users["a_prep"]).organisation)
    db.session.commit()
    assert db.session.scalar(select(User.password_hash).where(User.username == "timed.user")).startswith("scrypt:")
    client = browser(app, "10.8.8.8")
    measured = []
    for _ in range(5):
        known, unknown = _sign_in_medians(client, ("timed.user", "no.such.user"))
        measured.append((round(known, 1), round(unknown, 1)))
        if known > 20 and abs(known - unknown) <= max(5.0, 0.03 * known):
            break
    else:
        raise AssertionError(f"medians (known, unknown name) in ms: {measured}")
    print(f"sign-in medians (known, unknown name) in ms: {measured}")
