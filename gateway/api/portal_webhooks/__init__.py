"""`POST /v1/webhooks/{portal}`: supplier portals' signed JSON events in."""
