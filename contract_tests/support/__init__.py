"""The suite's library: its client, its oracle, its data and the assertions its checks share."""
