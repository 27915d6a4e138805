"""The workshops app's state changes, each in one transaction: `setup` (a workshop, its
challenges and prompts, labbers' accounts), `room` (steering the room from the console, undo),
`invites` (personal links)."""
