"""The insights app's state changes, each in one transaction, each published to the room:
`posts` (posting and moderating posts), `votes` (dot voting), `claims` (claims, follow-ups and
the mail they send)."""
