DROP TABLE payment_orders;
DROP TABLE settlement_items;
DROP TABLE settlements;
DROP TABLE advances;
