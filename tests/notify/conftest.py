from tests.notify.fake_sms import aliyun_sms, sms_gateway, tencent_sms  # noqa: F401
from tests.notify.fake_wechat_mp import wechat_mp  # noqa: F401
