-- wrk script: POST a reminder-sized signed JSON body, as the webhook channel does.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Idempotency-Key"] = "rmd_0123456789abcdef01234567"
wrk.headers["X-Replenish-Timestamp"] = "1709280000"
wrk.headers["X-Replenish-Signature"] = "sha256=8f2b8d0c1f4e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
wrk.body = '{"id":"rmd_0123456789abcdef01234567","reminder_id":1,"user_id":"u1","category":"diapers","kind":"replenish","due_at":"2024-03-11T02:00:00Z","text":"【邻家小铺】您好！您3月1日买的纸尿裤按平时的用量大约3月13日就要用完啦，别忘了提前补货哦～","vars":{"shop_name":"邻家小铺","category_name":"纸尿裤"}}'
