"""Financial Connections: institutions (a catalogue), sessions, accounts, authorizations, and the simulated
customer (`flow`) and bank (`bank`) behind the test helpers."""
