from django.urls import path

from workshops.views import (
    challenger,
    console,
    console_assist,
    console_cards,
    console_room,
    dashboard,
    home,
    invites,
    join,
    projector,
    receiver,
    report,
    setup,
)

app_name = "workshops"

urlpatterns = [
    path("j/<str:code>/", join.join, name="join"),
    path("w/<str:code>/projector/", projector.projector, name="projector"),
    path("w/<str:code>/projector/counts/", projector.projector_counts, name="projector-counts"),
    path("w/<str:code>/projector/opened/", setup.projector_opened, name="projector-opened"),
    path("w/<str:code>/report/", report.report, name="report"),
    path("w/<str:code>/report.md", report.report_markdown, name="report-md"),
    path("w/<str:code>/report.csv", report.report_csv, name="report-csv"),
    path("w/<str:code>/report.json", report.report_json, name="report-json"),
    path("w/<str:code>/report.xlsx", report.report_xlsx, name="report-xlsx"),
    path("w/<str:code>/report.pdf", report.report_pdf, name="report-pdf"),
    path("w/<str:code>/report/publish/", report.report_publish, name="report-publish"),
    # The labber's preparation.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/new/", dashboard.create, name="create"),
    path("w/<str:code>/duplicate/", dashboard.duplicate, name="duplicate"),
    path("w/<str:code>/setup/", setup.setup, name="setup"),
    path("w/<str:code>/setup/details/", setup.details, name="setup-details"),
    path("w/<str:code>/setup/challenges/", setup.challenge_add, name="setup-challenge-add"),
    path(
        "w/<str:code>/setup/challenges/<int:pk>/delete/",
        setup.challenge_delete,
        name="setup-challenge-delete",
    ),
    path(
        "w/<str:code>/setup/challenges/<int:pk>/obstacles/",
        setup.obstacle_add,
        name="setup-obstacle-add",
    ),
    path(
        "w/<str:code>/setup/obstacles/<int:pk>/move/",
        setup.obstacle_move,
        name="setup-obstacle-move",
    ),
    path(
        "w/<str:code>/setup/obstacles/<int:pk>/delete/",
        setup.obstacle_delete,
        name="setup-obstacle-delete",
    ),
    path("w/<str:code>/setup/labbers/", setup.colabber, name="setup-colabber"),
    path("w/<str:code>/poster/", setup.poster, name="poster"),
    # The console and its moves.
    path("w/<str:code>/console/", console.console, name="console"),
    path("w/<str:code>/console/preview/", console.preview, name="console-preview"),
    path("w/<str:code>/console/log/", console.log, name="console-log"),
    path("w/<str:code>/console/log/<int:pk>/undo/", console.undo_move, name="console-undo"),
    path("w/<str:code>/console/phase/", console_room.phase, name="console-phase"),
    path("w/<str:code>/console/prompt/", console_room.prompt, name="console-prompt"),
    path(
        "w/<str:code>/console/prompt/clear/",
        console_room.prompt_clear,
        name="console-prompt-clear",
    ),
    path("w/<str:code>/console/moderation/", console_room.moderation, name="console-moderation"),
    path("w/<str:code>/console/posting/", console_room.posting, name="console-posting"),
    path("w/<str:code>/console/timer/", console_room.timer, name="console-timer"),
    path(
        "w/<str:code>/console/timer/expire/",
        console_room.timer_expire,
        name="console-timer-expire",
    ),
    path("w/<str:code>/console/layout/", console_room.layout, name="console-layout"),
    path("w/<str:code>/console/paging/", console_room.paging, name="console-paging"),
    path(
        "w/<str:code>/console/projector-theme/",
        console_room.projector_theme,
        name="console-projector-theme",
    ),
    path(
        "w/<str:code>/console/spotlight/clear/",
        console_room.spotlight_clear,
        name="console-spotlight-clear",
    ),
    path("w/<str:code>/console/close/", console_room.close, name="console-close"),
    path("w/<str:code>/console/merge/", console_cards.merge, name="console-merge"),
    path("w/<str:code>/console/themes/", console_cards.themes, name="console-themes"),
    path(
        "w/<str:code>/console/themes/clear/",
        console_cards.themes_clear,
        name="console-themes-clear",
    ),
    path(
        "w/<str:code>/console/themes/proposals/",
        console_assist.theme_proposals,
        name="console-theme-proposals",
    ),
    path("w/<str:code>/console/c/<int:pk>/status/", console_cards.status, name="console-status"),
    path("w/<str:code>/console/c/<int:pk>/edit/", console_cards.edit, name="console-edit"),
    path(
        "w/<str:code>/console/c/<int:pk>/spotlight/",
        console_cards.spotlight,
        name="console-spotlight",
    ),
    path("w/<str:code>/console/c/<int:pk>/pin/", console_cards.pin, name="console-pin"),
    path("w/<str:code>/console/c/<int:pk>/mute/", console_cards.mute, name="console-mute"),
    # Invitations, and where a receiver or challenger comes back to (issue 5).
    path("i/<str:token>/", invites.invite_landing, name="invite"),
    path("w/<str:code>/invites/", invites.invites, name="invites"),
    path("w/<str:code>/invites/<int:pk>/send/", invites.invite_send, name="invite-send"),
    path("w/<str:code>/invites/<int:pk>/revoke/", invites.invite_revoke, name="invite-revoke"),
    path("w/<str:code>/invites/<int:pk>/renew/", invites.invite_renew, name="invite-renew"),
    path("claims/", receiver.receiver_dashboard, name="receiver"),
    path("w/<str:code>/challenge/", challenger.challenger_page, name="challenger"),
]

# The front door keeps a plain name: it is every page's "home" link.
home_urlpatterns = [path("", home.home, name="home")]
