"""The objects that move money: PaymentMethods, SetupIntents, Mandates, Tokens, connected accounts and their
external bank accounts — and how they follow a Financial Connections account's numbers (TANs)."""
