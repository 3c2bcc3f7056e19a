"""Inspection pages, one module per area: checklists, plans (and campaigns), running an
inspection, its report and statistics. Views are thin (house rule 5): parse, call one
service or selector, render."""
