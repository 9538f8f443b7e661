"""Partner status: what each trading partner has been sending, how much of it failed, SLA breaches."""
