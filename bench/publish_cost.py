"""`python -m bench.publish_cost`: the server CPU a post costs, rendering and publishing
included, in a Swedish workshop with a wall, in this process (no sockets, no server): the
cost of the live layer's renders, without the noise of the machine's other load.

    python -m bench.publish_cost                         # only Swedish screens in the room
    python -m bench.publish_cost --other phone           # English phones too
    python -m bench.publish_cost --other phone,projector,console
    python -m bench.publish_cost --wall 1000             # 1,000 posts on the wall first
    LABBET_SIMILAR_POSTS=off python -m bench.publish_cost --wall 1000   # without the
                                                         # similar-posts check (issue 20)

Each round posts `--posts` times; the figure is CPU time (process_time) per post."""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wall", type=int, default=20, help="posts on the wall before")
    parser.add_argument(
        "--other", default="", help="views with screens in English (comma-separated)"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labbet.settings_test")
    import django

    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from tests.factories import make_audience, make_workshop, post

    workshop = make_workshop(language="sv")
    author = make_audience(workshop)
    from bench.clients import thought

    for i in range(args.wall):  # each with words of its own: not each other's duplicates
        post(workshop, author, text=thought(100_000 + i, "on the wall"))
    views = [view for view in args.other.split(",") if view]
    figures = []
    for n in range(args.rounds):
        if views:  # said again each round, as a process serving those screens does
            from live.events import live_group, mark_present

            mark_present([live_group(workshop.pk, view, "en") for view in views])
        started = time.process_time()
        for i in range(args.posts):
            post(workshop, author, text=thought(n * 10_000 + i, "about sharing the city's data"))
        figures.append((time.process_time() - started) / args.posts * 1000)
    others = ", ".join(views) or "none"
    rounds = " ".join(f"{figure:.2f}" for figure in figures)
    from django.conf import settings

    similar = "on" if settings.LABBET_SIMILAR_POSTS else "off"
    print(
        f"Wall {args.wall} posts; similar posts {similar}; English screens: {others}; "
        f"ms CPU per post by round: {rounds}; best {min(figures):.2f}"
    )


if __name__ == "__main__":
    main()
