"""`python -m bench.page_cost`: the server CPU a new phone's page costs (`/j/<CODE>/`, a
fresh session each: the hall that scans the QR code together), in this process, with the demo
workshop and its contributions on the wall (`--wall N` adds N more). No sockets, no server:
the cost of the view, the ORM and the templates, without the machine's other load.

    python -m bench.page_cost                    # the demo's wall
    python -m bench.page_cost --wall 60          # a full phone wall
    python -m bench.page_cost --profile          # and where the time goes (cProfile, top 25)

Each round loads the page `--pages` times, each as a new phone, half of them in English; the
figure is CPU time (process_time) per page. The room changes between rounds (one post), so
every round pays for one render of the room after a change."""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wall", type=int, default=0, help="posts added to the demo's wall")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labbet.settings_test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("demo", "--with-contributions", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from bench.clients import thought
    from tests.factories import make_audience, post
    from workshops.models import Workshop

    workshop = Workshop.objects.get(code="STAD26")
    author = make_audience(workshop)
    for i in range(args.wall):
        post(workshop, author, text=thought(100_000 + i, "on the wall"))

    client = Client()  # one handler (its middleware loads once, as in a server)

    def load(n: int) -> None:
        client.cookies.clear()  # a new phone: no session yet
        if n % 2:
            client.cookies["django_language"] = "en"
        response = client.get("/j/STAD26/")
        assert response.status_code == 200, response.status_code

    figures = []
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    for n in range(args.rounds):
        post(workshop, author, text=thought(50_000 + n, "a change between rounds"))
        if profiler:
            profiler.enable()
        started = time.process_time()
        for i in range(args.pages):
            load(i)
        figures.append((time.process_time() - started) / args.pages * 1000)
        if profiler:
            profiler.disable()
    rounds = " ".join(f"{figure:.2f}" for figure in figures)
    print(
        f"Phone page /j/STAD26/, new phone each, half English; wall: demo + {args.wall}; "
        f"ms CPU per page by round: {rounds}; best {min(figures):.2f}"
    )
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
