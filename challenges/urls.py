from django.urls import path

from challenges import views

app_name = "challenges"

urlpatterns = [
    # On the labber's setup page, a challenge's row.
    path(
        "w/<str:code>/setup/challenges/<int:pk>/challenger/",
        views.setup_challenger,
        name="setup-challenger",
    ),
    path(
        "w/<str:code>/setup/challenges/<int:pk>/invite/",
        views.setup_invite,
        name="setup-invite",
    ),
    path("w/<str:code>/setup/challenges/<int:pk>/seen/", views.setup_seen, name="setup-seen"),
    path(
        "w/<str:code>/setup/obstacles/<int:pk>/reword/",
        views.setup_reword,
        name="setup-reword",
    ),
    # Through the challenger's invite link.
    path(
        "w/<str:code>/challenge/<int:pk>/edit/",
        views.prepare_challenge,
        name="prepare-challenge",
    ),
    path(
        "w/<str:code>/challenge/<int:pk>/obstacles/",
        views.prepare_obstacle_add,
        name="prepare-obstacle-add",
    ),
    path(
        "w/<str:code>/challenge/obstacles/<int:pk>/reword/",
        views.prepare_obstacle_reword,
        name="prepare-obstacle-reword",
    ),
    path(
        "w/<str:code>/challenge/obstacles/<int:pk>/move/",
        views.prepare_obstacle_move,
        name="prepare-obstacle-move",
    ),
    path(
        "w/<str:code>/challenge/obstacles/<int:pk>/remove/",
        views.prepare_obstacle_remove,
        name="prepare-obstacle-remove",
    ),
    path("w/<str:code>/challenge/<int:pk>/follow-up/", views.follow_up, name="follow-up"),
]
