"""Derived relevance: which job categories suit a CV of each category, and how well.

The Kaggle resume categories and the job boards' categories were never meant to match;
this hand-made mapping makes graded labels from them (2 = the job's field, 1 = a
neighbouring field). Such labels are derived and noisy: every report built on them says so.
"""

from __future__ import annotations

_SOFTWARE = ("Software Development", "Software Engineering", "IT Jobs", "Computer and IT")
_DATA = ("Data and Analytics", "Artificial Intelligence")
_OPS = ("Devops", "Information Technology", "Computer and IT")
_ENGINEERING = ("Science and Engineering", "Engineering Jobs")
_MANAGEMENT = ("Business Operations", "Management")


def _grades(exact: tuple[str, ...], related: tuple[str, ...] = ()) -> dict[str, int]:
    grades = dict.fromkeys(related, 1)
    grades.update(dict.fromkeys(exact, 2))
    return grades


CV_TO_JOB_CATEGORIES: dict[str, dict[str, int]] = {
    "Java Developer": _grades(_SOFTWARE),
    "DotNet Developer": _grades(_SOFTWARE),
    "Python Developer": _grades(_SOFTWARE, _DATA),
    "SAP Developer": _grades(_SOFTWARE),
    "Blockchain": _grades(_SOFTWARE),
    "Web Designing": _grades((), _SOFTWARE),
    "Data Science": _grades(_DATA, _SOFTWARE),
    "Hadoop": _grades(_DATA, _SOFTWARE),
    "ETL Developer": _grades(_DATA, _SOFTWARE),
    "Database": _grades(_DATA, _SOFTWARE),
    "DevOps Engineer": _grades(_OPS, _SOFTWARE),
    "Network Security Engineer": _grades(_OPS[1:], _OPS[:1]),
    "Testing": _grades(("Quality Assurance",), _SOFTWARE),
    "Automation Testing": _grades(("Quality Assurance",), _SOFTWARE),
    "HR": _grades(("Human Resources and Recruitment",)),
    "Sales": _grades(("Sales",), ("Account Management", "Customer Service")),
    "Business Analyst": _grades(("Business Operations",), ("Product Management", *_DATA[:1])),
    "PMO": _grades(_MANAGEMENT, ("Product Management",)),
    "Operations Manager": _grades(_MANAGEMENT, ("Product Management",)),
    "Advocate": _grades(("Legal Services",)),
    "Health and fitness": _grades(("Healthcare", "Medical")),
    "Arts": _grades((), ("Writing", "Communications", "Advertising and Marketing")),
    "Civil Engineer": _grades(_ENGINEERING),
    "Mechanical Engineer": _grades(_ENGINEERING),
    "Electrical Engineering": _grades(_ENGINEERING),
}


def grade(cv_category: str, job_categories: tuple[str, ...]) -> int:
    """Best grade any of the job's categories earns for a CV of `cv_category`."""
    table = CV_TO_JOB_CATEGORIES.get(cv_category, {})
    return max((table.get(category, 0) for category in job_categories), default=0)
