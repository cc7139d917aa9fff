"""One module per outside platform (WeChat, Aliyun and Tencent Cloud SMS, e-mail, the console),
each behind `notify.providers.base.Provider`; `notify.registry` picks them from the settings."""
