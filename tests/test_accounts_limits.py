"""Sign-in under load and attack (docs/accounts.md, sign-in limits), on every backend: 40 sign-ins
at once lock an account after the configured failures, the right password is refused while it is
locked, unknown names are answered like wrong passwords, the growing delays per name and per
address, the cap on password checks per process and its memory, and report links used once
across processes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from dashboard.auth import sign_in_answer
from data_access import accounts, tokens
from data_access.access import now
from data_access.models import Account, SignInDelay, UsedToken
from tests import test_accounts
from tests.test_accounts import PASSWORDS, WRONG, audit

# The small city with one account per role, copied for each test (tests/test_accounts.py).
accounts_template = test_accounts.accounts_template
city = test_accounts.city

ROOT = Path(__file__).resolve().parent.parent
LOCK_AFTER = 5
UNKNOWN = "street_990199999"  # a name of the README's pattern that is no account
# No delays, and room for every thread to wait for its check: the lock alone is under test.
LOCK_ONLY = accounts.SignInLimits(delays=False, max_checks=2, check_wait_seconds=120)


@pytest.fixture(autouse=True)
def fresh_addresses() -> Iterator[None]:
    accounts._ADDRESSES.clear()
    yield
    accounts._ADDRESSES.clear()


@pytest.fixture
def checks(monkeypatch) -> dict[str, int]:
    """Counts the Argon2 checks, and the most that ran at once."""
    seen = {"total": 0, "now": 0, "most": 0}
    guard = threading.Lock()
    real = accounts._argon2

    def counted(hashed: str, password: str) -> bool:
        with guard:
            seen["total"] += 1
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        try:
            return real(hashed, password)
        finally:
            with guard:
                seen["now"] -= 1

    monkeypatch.setattr(accounts, "_argon2", counted)
    return seen


def at_once(calls: list[Callable[[], accounts.SignIn]]) -> list[accounts.SignIn]:
    """Runs the calls in threads released together; their outcomes in the calls' order."""
    start = threading.Barrier(len(calls))
    results: list[accounts.SignIn | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # reported below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    failed = [r for r in results if not isinstance(r, accounts.SignIn)]
    assert not failed, failed[:3]
    return [r for r in results if isinstance(r, accounts.SignIn)]


def sign(
    engine: Engine,
    name: str,
    password: str,
    limits: accounts.SignInLimits = LOCK_ONLY,
    address: str | None = None,
) -> accounts.SignIn:
    return accounts.authenticate(
        engine, name, password, LOCK_AFTER, 15, limits=limits, address=address
    )


def account_state(engine: Engine, name: str) -> tuple[int, dt.datetime | None]:
    table = Account.__table__
    with engine.connect() as connection:
        row = connection.execute(
            select(table.c.failed_attempts, table.c.locked_until).where(table.c.name == name)
        ).one()
    return row.failed_attempts, row.locked_until


def test_forty_wrong_passwords_at_once_lock_after_exactly_the_configured_failures(city, checks):
    outcomes = at_once([lambda: sign(city, "east", WRONG) for _ in range(40)])
    reasons = Counter(o.reason for o in outcomes)
    assert sum(o.newly_locked for o in outcomes) == 1
    # The failures counted before the lock were LOCK_AFTER, each by one UPDATE ... + 1.
    assert reasons == {"bad": LOCK_AFTER - 1, "locked": 40 - LOCK_AFTER + 1}
    # Every attempt is checked, never more than two at once; that two do overlap under the cap is
    # shown with real-time checks in test_at_most_the_configured_checks_run_at_once_...
    assert checks["most"] <= 2 and checks["total"] == 40
    failures, locked_until = account_state(city, "east")
    assert failures == 0 and locked_until is not None and locked_until > now()
    kinds = Counter(kind for name, kind, _, _ in audit(city) if name == "east")
    assert (kinds["sign_in_failed"], kinds["locked"], kinds["sign_in"]) == (39, 1, 0)
    # Locked: the right password is refused, and only then is the lock told.
    right = sign(city, "east", PASSWORDS["east"])
    assert (right.principal, right.reason, right.password_ok) == (None, "locked", True)
    assert sign_in_answer(right) == "auth.locked"
    assert {sign_in_answer(o) for o in outcomes} == {"auth.bad"}
    accounts.unlock_account(city, "east", actor=accounts.OPERATOR)
    assert sign(city, "east", PASSWORDS["east"]).principal is not None


def test_thirty_nine_wrong_and_the_right_password_at_once_end_locked(city):
    calls = [lambda: sign(city, "east", WRONG) for _ in range(39)]
    calls.insert(20, lambda: sign(city, "east", PASSWORDS["east"]))
    outcomes = at_once(calls)
    right, wrong = outcomes[20], outcomes[:20] + outcomes[21:]
    assert sum(o.newly_locked for o in wrong) == 1
    bad = sum(o.reason == "bad" for o in wrong)
    if right.principal is None:
        # The lock came first: the right password was refused, with the lock told.
        assert (right.reason, right.password_ok, bad) == ("locked", True, LOCK_AFTER - 1)
    else:
        # It was checked before the lock: it reset the count, and LOCK_AFTER more locked.
        assert LOCK_AFTER - 1 <= bad <= 2 * (LOCK_AFTER - 1)
    assert account_state(city, "east")[1] is not None
    assert sign(city, "east", PASSWORDS["east"]).reason == "locked"


def test_an_unknown_name_is_answered_and_checked_like_a_wrong_password(city, checks):
    limits = accounts.SignInLimits(free_failures=3, delay_seconds=30, max_checks=2)
    known = [sign(city, "east", WRONG, limits) for _ in range(5)]
    assert checks["total"] == 3  # the 4th and 5th waited, unchecked
    unknown = [sign(city, UNKNOWN, WRONG, limits) for _ in range(5)]
    assert checks["total"] == 6  # the same Argon2 check for a name that is no account
    assert [sign_in_answer(o) for o in known] == [sign_in_answer(o) for o in unknown]
    assert [sign_in_answer(o) for o in unknown] == ["auth.bad"] * 3 + ["auth.wait"] * 2
    # A locked or disabled account is answered like an unknown name to a wrong password.
    for _ in range(LOCK_AFTER):
        sign(city, "district_a", WRONG)
    accounts.disable_account(city, "importer_east", actor=accounts.OPERATOR)
    for name in ("district_a", "importer_east", UNKNOWN + "0"):
        assert sign_in_answer(sign(city, name, WRONG)) == "auth.bad"
    assert sign_in_answer(sign(city, "importer_east", PASSWORDS["importer_east"])) == (
        "auth.disabled_now"
    )
    # An unknown name cannot be locked, and its typed text is stored nowhere.
    assert accounts.list_accounts(city)["name"].tolist() == sorted(PASSWORDS)
    with city.connect() as connection:
        subjects = connection.execute(select(SignInDelay.__table__.c.subject)).scalars().all()
    assert len(subjects) == 2 and all(len(s) == 64 and "street" not in s for s in subjects)


def delay_row(engine: Engine, name: str) -> tuple[int, float]:
    """The failures counted on a name and the seconds its next attempt was made to wait."""
    table = SignInDelay.__table__
    with engine.connect() as connection:
        row = connection.execute(
            select(table.c.failures, table.c.not_before, table.c.expires_at).where(
                table.c.subject == accounts._subject(name)
            )
        ).one()
    counted_at = row.expires_at - dt.timedelta(minutes=60)
    return row.failures, (row.not_before - counted_at).total_seconds()


def let_wait_pass(engine: Engine, name: str) -> None:
    table = SignInDelay.__table__
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.subject == accounts._subject(name))
            .values(not_before=now() - dt.timedelta(seconds=1))
        )


def test_the_delay_per_name_doubles_with_each_failure_and_admits_one_attempt_at_a_time(
    city, checks
):
    limits = accounts.SignInLimits(
        free_failures=2, delay_seconds=120, delay_max_seconds=480, max_checks=2
    )  # delays far longer than a busy machine takes between two attempts
    assert [sign(city, "east", WRONG, limits).reason for _ in range(2)] == ["bad", "bad"]
    waited, reasons = [], []
    for _ in range(4):
        waited.append(delay_row(city, "east"))
        assert sign(city, "east", PASSWORDS["east"], limits).reason == "wait"  # unchecked
        let_wait_pass(city, "east")
        reasons.append(sign(city, "east", WRONG, limits).reason)
    assert waited == [(2, 120.0), (3, 240.0), (4, 480.0), (5, 480.0)]
    assert reasons == ["bad", "bad", "locked", "locked"]  # the account locked at its 5th
    assert checks["total"] == 6
    assert account_state(city, "east")[1] is not None
    # Forty attempts at once after the delay: every process together checks only one.
    lift_lock_only(city, "east")
    let_wait_pass(city, "east")
    outcomes = at_once([lambda: sign(city, "east", WRONG, limits) for _ in range(40)])
    assert Counter(o.reason for o in outcomes) == {"bad": 1, "wait": 39}
    assert checks["total"] == 7
    # The right password, after the wait, signs in and forgets the name's failures.
    let_wait_pass(city, "east")
    assert sign(city, "east", PASSWORDS["east"], limits).principal is not None
    with city.connect() as connection:
        assert connection.execute(select(SignInDelay.__table__)).all() == []


def lift_lock_only(engine: Engine, name: str) -> None:
    """The account's lock lifted, its name's sign-in delay kept."""
    with engine.begin() as connection:
        connection.execute(
            update(Account.__table__)
            .where(Account.__table__.c.name == name)
            .values(failed_attempts=0, locked_until=None)
        )


@pytest.mark.parametrize("lift", ["unlock", "password", "enable"])
def test_an_administrator_lifts_the_names_delay_with_the_lock(city, lift):
    limits = accounts.SignInLimits(free_failures=2, delay_seconds=30, max_checks=2)
    for _ in range(3):
        sign(city, "east", WRONG, limits)
    assert sign(city, "east", PASSWORDS["east"], limits).reason == "wait"
    if lift == "unlock":
        accounts.unlock_account(city, "east", actor=accounts.OPERATOR)
    elif lift == "password":
        accounts.set_password(city, "east", PASSWORDS["east"], actor=accounts.OPERATOR)
    else:
        accounts.enable_account(city, "east", actor=accounts.OPERATOR)
    with city.connect() as connection:
        assert connection.execute(select(SignInDelay.__table__)).all() == []
    assert sign(city, "east", PASSWORDS["east"], limits).principal is not None


def test_the_delay_per_address_grows_and_leaves_other_addresses_alone(city, checks, monkeypatch):
    clock = [1000.0]  # the delays' own clock, moved by hand: the machine's speed does not count
    monkeypatch.setattr(accounts._ADDRESSES, "clock", lambda: clock[0])
    limits = accounts.SignInLimits(
        address_free_failures=3, free_failures=100, delay_seconds=1.0, max_checks=2
    )
    # A different name each time: only the address is counted against.
    for index in range(3):
        assert sign(city, f"guess_{index}", WRONG, limits, address="10.0.0.7").reason == "bad"
    assert sign(city, "east", PASSWORDS["east"], limits, address="10.0.0.7").reason == "wait"
    assert sign(city, "east", PASSWORDS["east"], limits, address="10.0.0.8").principal
    clock[0] += 1.2
    assert sign(city, "guess_4", WRONG, limits, address="10.0.0.7").reason == "bad"
    clock[0] += 1.2  # the second delay is 2 s
    assert sign(city, "guess_5", WRONG, limits, address="10.0.0.7").reason == "wait"
    clock[0] += 1.0
    assert sign(city, "east", PASSWORDS["east"], limits, address="10.0.0.7").principal
    assert checks["total"] == 6
    waits = [d for name, kind, _, d in audit(city) if kind == "sign_in_failed" and "wait" in d]
    assert waits == ["wait: address", "wait: address"]


def test_at_most_the_configured_checks_run_at_once_and_the_rest_are_told_to_wait(
    city, production_hasher, checks
):
    at_once([lambda: sign(city, UNKNOWN, WRONG) for _ in range(20)])
    assert (checks["most"], checks["total"]) == (2, 20)
    impatient = accounts.SignInLimits(delays=False, max_checks=1, check_wait_seconds=0.01)
    outcomes = at_once([lambda: sign(city, UNKNOWN, WRONG, impatient) for _ in range(20)])
    waited = sum(o.reason == "wait" for o in outcomes)
    assert checks["most"] == 2 and waited >= 10
    assert checks["total"] == 20 + 20 - waited


RSS_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from data_access import accounts
    from data_access.db import make_engine
    from data_access.schema import upgrade

    def rss():
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith("VmRSS:"))
        return int(line.split()[1]) // 1024

    engine = make_engine(sys.argv[1])
    upgrade(engine)
    accounts.add_account(engine, "east", "990101001", "viewer", "Ost-Strasse-pw-2",
                         actor=accounts.OPERATOR)
    limits = accounts.SignInLimits(delays=False, max_checks=int(sys.argv[2]),
                                   check_wait_seconds=300)
    before = peak = rss()
    done = threading.Event()

    def sample():
        global peak
        while not done.is_set():
            peak = max(peak, rss())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = threading.Barrier(40)

    def attempt(i):
        start.wait()
        password = "Ost-Strasse-pw-2" if i == 39 else "wrong-%d" % i
        accounts.authenticate(engine, "east", password, 100, 15, limits=limits)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    sampler.join()
    print(before, peak)
    """
)


def test_forty_sign_ins_at_once_stay_within_the_memory_of_the_capped_checks(tmp_path):
    """Each Argon2id check takes 64 MiB: with 2 at once, 40 sign-ins add about 128 MiB, where
    40 unbounded checks would add up to 2.5 GiB."""
    url = f"sqlite:///{tmp_path / 'rss.sqlite3'}"
    env = dict(os.environ, DATABASE_URL=url)
    ran = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, url, "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    before, peak = map(int, ran.stdout.split())
    print(f"RSS before {before} MB, peak during 40 sign-ins at once {peak} MB")
    assert peak - before < 2 * 64 + 80


def test_a_report_token_used_by_another_process_is_refused_here(city):
    """The used nonce lives in the database: a second process (here a real one) sees it."""
    url = city.url.render_as_string(hide_password=False)
    view = tokens.view_key("overview", {"street": "990101001", "lang": "zh"})
    key = b"shared-report-key"
    redeem_elsewhere = textwrap.dedent(
        """
        import sys
        from data_access import tokens
        from data_access.db import make_engine
        try:
            engine = make_engine(sys.argv[1])
            print(tokens.redeem(engine, sys.argv[2], sys.argv[3], sys.argv[4].encode()))
        except tokens.TokenRefused as exc:
            print("refused:", exc)
        """
    )

    def elsewhere(token: str) -> str:
        ran = subprocess.run(
            [sys.executable, "-c", redeem_elsewhere, url, token, view, key.decode()],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, DATABASE_URL=url),
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        return ran.stdout.strip()

    first = tokens.mint("east", view, 60, key)
    assert elsewhere(first) == "east"
    with pytest.raises(tokens.TokenRefused, match="used before"):
        tokens.redeem(city, first, view, key)
    second = tokens.mint("east", view, 60, key)
    assert tokens.redeem(city, second, view, key) == "east"
    assert elsewhere(second) == "refused: used before"
    # Rows of expired tokens go when a new one is written.
    table = UsedToken.__table__
    with city.begin() as connection:
        old = now() - dt.timedelta(minutes=5)
        connection.execute(table.insert(), [{"nonce": "an-old-nonce", "expires_at": old}])
    assert tokens.redeem(city, tokens.mint("east", view, 60, key), view, key) == "east"
    with city.connect() as connection:
        nonces = connection.execute(select(table.c.nonce)).scalars().all()
    assert len(nonces) == 3 and "an-old-nonce" not in nonces
