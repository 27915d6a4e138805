from django.urls import path

from insights.views import archive, claims, followup, phone, votes

app_name = "insights"

urlpatterns = [
    path("j/<str:code>/post/", phone.post, name="post"),
    path("archive/", archive.archive, name="archive"),
    # Voting, claims and the follow-up (issue 5).
    path("j/<str:code>/vote/", votes.vote, name="vote"),
    path("j/<str:code>/updates/", followup.contributor_email, name="contributor-email"),
    path("w/<str:code>/voting/open/", votes.voting_open, name="voting-open"),
    path("w/<str:code>/voting/close/", votes.voting_close, name="voting-close"),
    path("w/<str:code>/handover/", claims.handover, name="handover"),
    path("w/<str:code>/claim/", claims.claim, name="claim"),
    path("w/<str:code>/follow-up/", followup.follow_up_page, name="follow-up"),
    path("claims/<int:pk>/", followup.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/withdraw/", claims.claim_withdraw, name="claim-withdraw"),
    path("claims/<int:pk>/follow-up/", followup.claim_follow_up, name="claim-follow-up"),
]
