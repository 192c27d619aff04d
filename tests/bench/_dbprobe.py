"""A benchmark used only by the tests: proves the harness gives benchmarks a scratch DB."""

from bench.registry import benchmark, measure


@benchmark("probe_db_count_ms", unit="ms", target="<= 10000 ms", needs=("db",))
def probe_db(ctx):
    from django.contrib.auth.models import User
    from django.db import connection

    User.objects.create(username="bench-probe")
    m = measure(User.objects.count, repeat=3)
    return ctx.figure(
        round(m.p95 * 1000, 3),
        params={"db_name": connection.settings_dict["NAME"], "count": m.result,
                "database_url": ctx.database_url},
    )  # fmt: skip
