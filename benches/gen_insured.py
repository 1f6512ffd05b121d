#!/usr/bin/env python3
"""Writes a realistic insured-persons CSV for `asnad insured import` (default 1,000,000 rows).

About 40 % main insured persons with a coverage period, 60 % dependants (spouses, children,
parents) pointing at a main insured written earlier in the file. National codes are valid
(mod-11), distinct and deterministic (seeded), so the same file can be re-imported to measure
the idempotent path. Usage: gen_insured.py OUT.csv [ROWS]
"""
import random
import sys

HEADER = ("national_code,insurance_no,first_name,last_name,sex,birth_date,insurance_type,special_disease,"
          "supplementary,coverage_from,coverage_to,email,mobile,main_national_code,relation,student_until,"
          "disabled,married,employed")
FIRST_M = ["علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "سعید", "حمید"]
FIRST_F = ["فاطمه", "زهرا", "مریم", "سارا", "نرگس", "لیلا", "مینا", "الهام"]
LAST = ["کریمی", "احمدی", "حسینی", "رضایی", "محمدی", "موسوی", "جعفری", "کاظمی", "رحیمی", "صادقی"]
TYPES = ["mandatory"] * 7 + ["voluntary", "self_employed", "pensioner"]


def national_code(n: int) -> str:
    body = f"{n:09d}"
    s = sum(int(body[i]) * (10 - i) for i in range(9)) % 11
    check = s if s < 2 else 11 - s
    return body + str(check)


def main() -> None:
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rnd = random.Random(1405)
    next_code = 10_000_000
    mains = []
    with open(out, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(rows):
            next_code += rnd.randint(1, 7)
            code = national_code(next_code)
            if not mains or rnd.random() < 0.4:
                sex = rnd.choice(["male", "female"])
                first = rnd.choice(FIRST_M if sex == "male" else FIRST_F)
                year = rnd.randint(1940, 2000)
                f.write(f"{code},{10_000_000 + i:08d},{first},{rnd.choice(LAST)},{sex},{year}-{rnd.randint(1,12):02d}-"
                        f"{rnd.randint(1,28):02d},{rnd.choice(TYPES)},{int(rnd.random() < 0.02)},{int(rnd.random() < 0.2)},"
                        f"{rnd.randint(1395, 1403)}-01-01,,,09{rnd.randint(100000000, 999999999)},,,,,,\n")
                mains.append(code)
            else:
                main_code = rnd.choice(mains[-1000:])
                rel = rnd.choice(["spouse", "child", "child", "parent"])
                sex = rnd.choice(["male", "female"]) if rel != "spouse" else "female"
                first = rnd.choice(FIRST_M if sex == "male" else FIRST_F)
                year = {"spouse": rnd.randint(1950, 2000), "child": rnd.randint(1995, 2023),
                        "parent": rnd.randint(1930, 1965)}[rel]
                student = f"{rnd.randint(1403, 1406)}-06-31" if rel == "child" and rnd.random() < 0.3 else ""
                f.write(f"{code},,{first},{rnd.choice(LAST)},{sex},{year}-{rnd.randint(1,12):02d}-{rnd.randint(1,28):02d},"
                        f"{rnd.choice(TYPES)},0,0,,,,,{main_code},{rel},{student},0,0,0\n")


if __name__ == "__main__":
    main()
