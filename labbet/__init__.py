"""Labbet: a live co-creation workshop, from the room to the follow-up."""
