DROP TABLE api_keys;
DROP TABLE auth_tokens;
DROP TABLE users;
DROP TABLE offices;
DROP TABLE provinces;
