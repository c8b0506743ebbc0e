"""Two people saving one roster at the same moment: exactly one save is kept, the other is told so (409), never
both told 「已保存」 with one change lost."""
import threading

import pytest

from costing.models import Roster, db

from . import world
from .world import log_in

FIELDS = {"name": "2025 方案", "roster-0-id": "A1", "roster-0-post": "社会工作者", "roster-0-level": "junior",
          "roster-0-certificate": "assistant_social_worker", "roster-0-monthly_pay": "4300.00", "revision": "1"}


@pytest.mark.commits          # two requests on two connections at once: each must see the other's commit
@pytest.mark.parametrize("rounds", [10])
def test_two_saves_of_one_roster_at_the_same_moment_keep_one_and_refuse_the_other(app, rounds):
    w = world.build()
    first = log_in(app.test_client(), "c_user")
    created = first.post(f"/rosters/new?budget={w.budget_a}", data=FIELDS)
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    roster_id = int(created.location.rstrip("/").split("/")[-1])
    clients = [first, log_in(app.test_client(), "c_user")]
    for round_ in range(rounds):
        seen = db.session.get(Roster, roster_id).version
        pays = [f"{4400 + 10 * round_}.00", f"{4500 + 10 * round_}.00"]
        start = threading.Barrier(2)
        answers = []

        def save(client, pay):
            start.wait()
            response = client.post(f"/rosters/{roster_id}/edit",
                                   data=FIELDS | {"version": str(seen), "roster-0-monthly_pay": pay})
            answers.append((response.status_code, response.get_data(as_text=True)))

        threads = [threading.Thread(target=save, args=pair) for pair in zip(clients, pays)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [302, 409], statuses
        refused = next(body for status, body in answers if status == 409)
        assert "他人已修改了这份薪酬方案" in refused
        db.session.expire_all()
        item = db.session.get(Roster, roster_id)
        assert [v.number for v in item.versions] == list(range(1, seen + 2))
        assert item.version == seen + 1
