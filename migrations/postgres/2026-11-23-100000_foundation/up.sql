-- Foundation: provinces and their review offices, users, bearer tokens and API keys.
-- Money is BIGINT rials everywhere in this schema; ids are application-generated UUIDv7 text.

-- The 31 provinces (استان). Each has a treatment management (مدیریت درمان) with review offices.
CREATE TABLE provinces (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL
);

-- Medical-document review offices (دفاتر رسیدگی به اسناد پزشکی).
CREATE TABLE offices (
    id TEXT PRIMARY KEY,
    province_id INTEGER NOT NULL REFERENCES provinces(id),
    code TEXT NOT NULL UNIQUE,
    name_fa TEXT NOT NULL,
    name_en TEXT NOT NULL,
    address TEXT,
    phone TEXT,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX offices_province ON offices(province_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    -- The scope: which provider, office or insured person the user acts for.
    provider_id TEXT,
    office_id TEXT REFERENCES offices(id),
    insured_id TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_provider ON users(provider_id);
CREATE INDEX users_office ON users(office_id);

-- Opaque bearer tokens; only the SHA-256 of the token is stored.
CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens(user_id);
CREATE INDEX auth_tokens_expiry ON auth_tokens(expires_at);

-- API keys for providers' systems; shown once at creation, stored as SHA-256.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_user ON api_keys(user_id);

INSERT INTO provinces (id, code, name_fa, name_en) VALUES
    (1, 'THR', 'تهران', 'Tehran'),
    (2, 'ALB', 'البرز', 'Alborz'),
    (3, 'QOM', 'قم', 'Qom'),
    (4, 'QAZ', 'قزوین', 'Qazvin'),
    (5, 'MRK', 'مرکزی', 'Markazi'),
    (6, 'SEM', 'سمنان', 'Semnan'),
    (7, 'MZN', 'مازندران', 'Mazandaran'),
    (8, 'GIL', 'گیلان', 'Gilan'),
    (9, 'GLS', 'گلستان', 'Golestan'),
    (10, 'ARD', 'اردبیل', 'Ardabil'),
    (11, 'EAZ', 'آذربایجان شرقی', 'East Azerbaijan'),
    (12, 'WAZ', 'آذربایجان غربی', 'West Azerbaijan'),
    (13, 'ZNJ', 'زنجان', 'Zanjan'),
    (14, 'KRD', 'کردستان', 'Kurdistan'),
    (15, 'KSH', 'کرمانشاه', 'Kermanshah'),
    (16, 'HMD', 'همدان', 'Hamadan'),
    (17, 'LRS', 'لرستان', 'Lorestan'),
    (18, 'ILM', 'ایلام', 'Ilam'),
    (19, 'KHZ', 'خوزستان', 'Khuzestan'),
    (20, 'KBA', 'کهگیلویه و بویراحمد', 'Kohgiluyeh and Boyer-Ahmad'),
    (21, 'CHB', 'چهارمحال و بختیاری', 'Chaharmahal and Bakhtiari'),
    (22, 'ISF', 'اصفهان', 'Isfahan'),
    (23, 'YZD', 'یزد', 'Yazd'),
    (24, 'FRS', 'فارس', 'Fars'),
    (25, 'BSH', 'بوشهر', 'Bushehr'),
    (26, 'HRM', 'هرمزگان', 'Hormozgan'),
    (27, 'KRN', 'کرمان', 'Kerman'),
    (28, 'SBL', 'سیستان و بلوچستان', 'Sistan and Baluchestan'),
    (29, 'SKH', 'خراسان جنوبی', 'South Khorasan'),
    (30, 'RKH', 'خراسان رضوی', 'Razavi Khorasan'),
    (31, 'NKH', 'خراسان شمالی', 'North Khorasan');
