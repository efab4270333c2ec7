#!/usr/bin/env python3
"""Writes config/demo/orders.csv: a small, made-up order history for the demo.

Twenty shoppers of a Chinese household-goods shop buy detergent, diapers, formula, cat food
and sanitary pads on their own cycles (with noise), plus snacks that are not periodic. Their
histories end shortly before the demo's simulated start (2024-03-01 08:00 +08:00), so that
the daemon has reminders to send within the demo's first simulated days. Deterministic: the
same seed gives the same file.
"""
import csv
import datetime as dt
import random
import sys

START = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PRODUCTS = {
    "laundry_detergent": ("洗衣用品", [("LD-3KG", "蓝月亮深层洁净洗衣液 3kg", "3kg", 59.9),
                                    ("LD-1KG", "立白洗衣液 1kg", "1kg", 22.9)], 30),
    "diapers": ("母婴", [("DP-L64", "帮宝适纸尿裤 L码", "64片", 139.0),
                        ("DP-XL52", "花王拉拉裤 XL码", "52片", 129.0)], 12),
    "baby_formula": ("母婴", [("BF-800", "飞鹤星飞帆3段奶粉 800g", "800g", 268.0)], 16),
    "cat_food": ("宠物", [("CF-2KG", "皇家成猫粮 2kg", "2kg", 158.0)], 24),
    "sanitary_pads": ("个护", [("SP-D10", "苏菲日用卫生巾 10片", "10片", 15.9)], 28),
}
SNACKS = [("SN-1", "零食", "乐事薯片 原味", "70g", 7.5), ("SN-2", "饮料", "农夫山泉 550ml", "550ml", 2.0)]


def main(out):
    rng = random.Random(20240301)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["order_id", "line", "user_id", "sku", "category", "subcategory", "pack_size",
                "quantity", "unit_price", "ordered_at"])
    rows = []
    order_no = 100000
    slugs = list(PRODUCTS)
    for u in range(1, 21):
        user = f"u{u:03d}"
        cats = rng.sample(slugs, k=rng.randint(1, 3))
        for slug in cats:
            raw_cat, items, base_cycle = PRODUCTS[slug]
            cycle = base_cycle * rng.uniform(0.8, 1.25)
            if u == 20:  # a shopper who stopped buying long ago: no reminder
                last = START - dt.timedelta(days=cycle * 6)
                n = 3
            elif u == 19:  # a single purchase: the category default decides
                last = START - dt.timedelta(days=base_cycle - rng.uniform(3, 6))
                n = 1
            else:  # runs out during the demo's first simulated week
                last = START - dt.timedelta(days=cycle - rng.uniform(1.5, 8))
                n = rng.randint(3, 6)
            when = last
            for _ in range(n):
                sku, name, pack, price = rng.choice(items)
                when_at = when.replace(hour=rng.randint(9, 21), minute=rng.randint(0, 59), second=0,
                                       microsecond=0)
                rows.append((when_at, user, [(sku, raw_cat, name, pack, 1, price)]))
                when = when - dt.timedelta(days=cycle * rng.uniform(0.85, 1.15))
        for _ in range(rng.randint(1, 4)):
            sku, raw_cat, name, pack, price = rng.choice(SNACKS)
            when_at = START - dt.timedelta(days=rng.uniform(1, 60))
            rows.append((when_at.replace(second=0, microsecond=0), user,
                         [(sku, raw_cat, name, pack, rng.randint(1, 3), price)]))
    rows.sort(key=lambda r: (r[0], r[1]))
    for when_at, user, lines in rows:
        order_no += 1
        for i, (sku, raw_cat, name, pack, qty, price) in enumerate(lines, start=1):
            w.writerow([f"D{order_no}", i, user, sku, raw_cat, name, pack, qty, f"{price:.2f}",
                        when_at.isoformat(timespec="seconds")])


if __name__ == "__main__":
    main(sys.stdout)
