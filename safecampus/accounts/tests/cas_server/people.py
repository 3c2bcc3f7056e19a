"""People known to the test CAS server (its own auth database) and the attributes it
releases for them. Every account has the password :data:`PASSWORD`."""

PASSWORD = "Cas-pass-2024"

PEOPLE = {
    # a student SafeCampus has never seen: first sign-in creates a community member
    "2024010101": {"cn": "王小明", "mail": "wangxm@stu.example.edu.cn",
                   "employeeNumber": "2024010101", "eduPersonAffiliation": "student"},
    # an office staff member SafeCampus already has (matched by staff number)
    "T20050017": {"cn": "李建国", "mail": "lijg@example.edu.cn",
                  "employeeNumber": "T20050017", "eduPersonAffiliation": "staff"},
    # a person whose SafeCampus account the office has disabled
    "T20090033": {"cn": "赵敏", "mail": "zhaomin@example.edu.cn",
                  "employeeNumber": "T20090033", "eduPersonAffiliation": "staff"},
    # a new member of the security office, given a role through the attribute map
    "T20120045": {"cn": "孙卫东", "mail": "sunwd@example.edu.cn",
                  "employeeNumber": "T20120045", "eduPersonAffiliation": "security"},
    # a CAS account whose name equals a local SafeCampus account of someone else
    "admin": {"cn": "冒名者", "mail": "x@example.edu.cn"},
}
