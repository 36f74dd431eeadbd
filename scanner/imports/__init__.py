"""Files of ledger legs from elsewhere: a ledger CSV taxscan wrote, a Koinly universal CSV."""
