"""Planning before a tax year ends: what selling open lots now would do to the year's tax.

Pure: the lots, the year's realized gains and the taxpayer's profile in; the sales to make,
what each saves, and when waiting pays, out. `brackets` holds the US federal schedules per
tax year, `tax` the federal tax of a year's netted gains, `law` each jurisdiction's tax of a
year's gains, `candidates` the lots that may be sold and in which order the lot engine
would draw on them, `optimizer` the choice of lots, `timing`, `rebalance` and `scenarios`
the rest of the plan, `records` what it hands back.
"""
