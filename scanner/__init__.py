"""taxscan: classify on-chain activity into taxable events and cost-basis lots."""

import decimal

# No float may ever touch an amount or a price: mixing one into a Decimal raises.
decimal.getcontext().traps[decimal.FloatOperation] = True
decimal.getcontext().prec = 60
