"""Running calls at the same moment in threads, for race tests on PostgreSQL."""

import threading

from django.db import connection
from django.utils import translation

from safecampus.core import clock


def race(calls, *, at=None, language: str = "en") -> list[tuple[object, BaseException | None]]:
    """Run each callable in its own thread, all released together by a barrier.

    Returns ``[(result, None) | (None, exception)]`` in the order of ``calls``. ``at`` freezes
    :func:`clock.now` in every thread; ``language`` is activated per thread (it is
    thread-local). Each thread closes its own database connection. Fails if a thread hangs.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        translation.activate(language)
        try:
            barrier.wait(timeout=10)
            if at is not None:
                with clock.frozen(at):
                    outcomes[index] = (call(), None)
            else:
                outcomes[index] = (call(), None)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            outcomes[index] = (None, exc)
        finally:
            translation.deactivate()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung on a lock"
    return outcomes
