"""The engine, table-driven: which codes fire and which verdict results, for every code.

Pure: no event loop, no network. Network evidence is built by hand as the probes would.
"""

from __future__ import annotations

import pytest

from verifier.analysis.evidence import DnsblResult, DomainEvidence, ExpansionResult, NetworkEvidence
from verifier.analysis.extract import extract
from verifier.checks import ALL_CODES
from verifier.engine import Evidence, check_offline, evaluate
from verifier.models import VerifyRequest

FLAGGED = {"suspicious", "likely_scam"}
NOT_FLAGGED = {"likely_genuine", "unverified"}
SCAM = {"likely_scam"}

# id, request, codes that must fire, codes that must not, allowed verdicts
CASES: list[tuple[str, dict, set[str], set[str], set[str]]] = [
    # --- the issue's hard cases
    ("court-delivery-genuine", {"text": "【北京市朝阳区人民法院】您有一份诉讼文书待签收，请登录 https://zxfw.court.gov.cn 查看，如有疑问请拨打12368。"},
     {"LINK_OFFICIAL", "BODY_LAWFUL_PATTERN"}, {"LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("court-cites-award", {"text": "【北京市第二中级人民法院】申请人依据北京仲裁委员会（2023）京仲裁字第01234号裁决书申请执行一案已立案，请登录 https://zxfw.court.gov.cn 查阅，或拨打12368咨询。"},
     {"CASE_PREFIX_MATCH", "LINK_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "CASE_PREFIX_MISMATCH"}, NOT_FLAGGED),
    ("court-enforcement-freeze-done", {"text": "【深圳市福田区人民法院】（2024）粤0304执1234号案件，你未按执行通知书履行义务，本院已依法冻结你名下银行账户，请及时与执行法官联系。"},
     {"CASE_NUMBER_OK", "BODY_LAWFUL_PATTERN"}, {"CONTENT_FREEZE_ACCOUNTS", "CASE_NUMBER_MALFORMED"}, NOT_FLAGGED),
    ("court-delivery-access-code", {"text": "【深圳市福田区人民法院】张三您好，您有一份（2025）粤0304民初12345号案件的诉讼文书已送达，请登录 https://zxfw.court.gov.cn 查收，验证码：123456。", "sender": "12368"},
     {"LINK_OFFICIAL", "SENDER_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),  # a code to type in, not a number to call
    ("code-sent-to-a-mobile", {"text": "【仲裁中心】请将收到的验证码发送至 13812345678 完成身份核验。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("lender-reminder-discloses-collection-agency", {"text": "【蚂蚁借呗】您的借呗已逾期，已委托第三方催收机构处理，请尽快还款，避免影响征信。如有疑问请联系95188。", "sender": "95188"},
     {"CONTENT_LEGAL_NOTICE"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),  # "repay soon" is not "pay now or else"
    # a loan declared overdue with a word between (贷款已严重逾期, 貸款已逾期) and 启动法律程序 are collection vocabulary
    # (an empty sender is none given, round 10: the verdict rests on the words alone, a credit threat)
    ("loan-overdue-word-between-phishing", {"text": "您在某某平台的贷款已严重逾期，即将上报征信，请立即点击链接处理，否则影响子女上学。", "sender": ""},
     {"CONTENT_LEGAL_NOTICE", "CONTENT_THREAT_CREDIT", "SENDER_NOT_GIVEN"}, {"SENDER_HIDDEN"}, NOT_FLAGGED | FLAGGED),
    ("legal-procedure-threat-pay-by-link", {"text": "尊敬的客户，您的账户如未及时处理，将启动法律程序，点击链接立即还款：http://xxx-credit-repay.com"},
     {"CONTENT_LEGAL_NOTICE", "CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    # repayment through the message's own link or entry page is the same demand; a caution against such links is not
    ("overdue-loan-repay-through-the-entry-page", {"text": "您的网贷已严重逾期，请立即点击下方还款入口完成还款，以免影响征信。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_THREAT_CREDIT"}, set(), FLAGGED),
    ("bank-caution-against-repayment-links", {"text": "【平安银行】温馨提示：本行不会通过短信发送还款链接，请勿点击陌生还款链接，还款请通过平安口袋银行App。", "sender": "95511"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("chat-about-own-overdue-loan", {"text": "我那笔借款已经逾期了，对方说要走法律程序，你懂这个吗？", "sender": "13812345678"},
     {"CONTENT_LEGAL_NOTICE"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("bank-reminder-loan-already-overdue", {"text": "【招商银行】您的贷款已逾期3天，请尽快还款，以免影响征信。", "sender": "95555"},
     {"CONTENT_LEGAL_NOTICE"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # 到 that ends a verb (收到, 看到) is not a visit; 到你家 as a threat still is
    ("received-from-your-company-not-a-visit", {"text": "【某某科技】我司已收到您单位报送的对账材料，请留意查收回执。", "sender": "10690123456789"},
     set(), {"CONTENT_THREAT_HOME_VISIT"}, NOT_FLAGGED),
    ("saw-your-familys-photo-not-a-visit", {"text": "看到你家小孩的照片了，真可爱！", "sender": "13812345678"},
     set(), {"CONTENT_THREAT_HOME_VISIT"}, NOT_FLAGGED),
    ("threat-to-come-to-your-home", {"text": "您的网贷已逾期，今天不处理明天就到你家。", "sender": "17012345678"},
     {"CONTENT_THREAT_HOME_VISIT"}, set(), FLAGGED),
    ("freeze-threat-today", {"text": "【仲裁委】今天不处理将申请强制执行并冻结账户。"}, {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("freeze-threat-otherwise", {"text": "【广州仲裁委员会】您的借款纠纷已立案，请今天联系专员 13800138000 协商，否则冻结名下账户。"},
     {"CONTENT_FREEZE_ACCOUNTS", "CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # a court's statement of the law's consequences of non-performance is no threat; the same words
    # for not repaying today, by a made-up body or beside a mobile to call still are
    ("court-enforcement-states-coercive-measures", {"text": "【杭州市西湖区人民法院】（2025）浙0106执1234号执行通知：请于收到本通知之日起七日内履行生效判决确定的义务。逾期不履行的，本院将依法采取罚款、拘留等强制措施，并纳入失信被执行人名单、限制高消费。", "sender": "12368"},
     {"SENDER_OFFICIAL", "CASE_NUMBER_OK"}, {"CONTENT_THREAT_ARREST", "CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("us-court-reminder-states-arrest-for-missing-court", {"text": "REMINDER: you have a court date on 03/05/21 at 3pm. Missing court can lead to your arrest. Reply STOP to end texts."},
     {"CONTENT_LEGAL_NOTICE"}, {"CONTENT_THREAT_ARREST"}, NOT_FLAGGED),
    ("court-name-detention-for-not-repaying-today", {"text": "【杭州市西湖区人民法院】你的借款纠纷已立案，今日不还款将依法对你实施拘留，并纳入失信被执行人名单。", "sender": "12368"},
     {"CONTENT_THREAT_ARREST", "CONTENT_THREAT_CREDIT"}, set(), FLAGGED),
    ("court-coercive-measures-beside-a-mobile", {"text": "【杭州市西湖区人民法院】（2025）浙0106执1234号：逾期不履行的，本院将依法拘留，请联系执行员 13812345678。"},
     {"CONTENT_THREAT_ARREST", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("court-coercive-measures-beside-a-freeze-today", {"text": "【杭州市西湖区人民法院】（2025）浙0106执1234号：今天不处理将冻结账户。逾期不履行的，本院将依法拘留。"},
     {"CONTENT_THREAT_ARREST", "CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("made-up-body-states-coercive-measures", {"text": "【网络仲裁委员会】逾期不履行裁决的，将依法拘留并纳入失信被执行人名单。"},
     {"CONTENT_THREAT_ARREST", "BODY_KNOWN_FAKE"}, set(), SCAM),
    ("commission-states-detention", {"text": "【杭州仲裁委员会】逾期不履行裁决的，将依法对你拘留并纳入失信被执行人名单。"},
     {"CONTENT_THREAT_ARREST"}, set(), FLAGGED),
    ("court-arrest-for-not-paying-a-fine", {"text": "Court notice: if you do not pay the fine today you will be arrested."},
     {"CONTENT_THREAT_ARREST"}, set(), FLAGGED),
    # a fee named for what no body charges for is a demand, payee named or not; a cleaning service's is not
    ("fee-to-clear-the-record-no-payee", {"text": "【网络仲裁委员会】您的借款纠纷已立案，需缴纳清理费500元，逾期将强制执行。"},
     {"CONTENT_PAYMENT_DEMAND", "BODY_KNOWN_FAKE"}, set(), SCAM),
    ("fee-to-close-the-case-amount-given", {"text": "【仲裁中心】您的案件结案费：800元，请今日内处理。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("property-cleaning-fee-not-a-demand", {"text": "【某某物业】本月需缴纳卫生清理费50元，请于月底前到物业处缴纳。", "sender": "10690123456789"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("no-fee-to-clear-is-a-denial", {"text": "【杭州仲裁委员会】本会无需缴纳清理费，请勿相信任何收费短信。"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # a mainland body's notice linking another country's domain, its own site known or not
    ("unlisted-commission-links-a-russian-domain", {"text": "【贵阳仲裁委员会】您的案件已受理，请登录 http://gyac-case.ru/view 查看。"},
     {"CONSISTENCY_FOREIGN_DOMAIN"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("district-court-links-a-russian-domain", {"text": "【北京市朝阳区人民法院】您有一份诉讼文书待签收，请登录 http://sd-notice.ru/view 查看。"},
     {"CONSISTENCY_FOREIGN_DOMAIN"}, set(), FLAGGED),
    ("unlisted-commission-links-a-com-domain", {"text": "【贵阳仲裁委员会】您的案件已受理，请登录 http://gyac-case.com/view 查看。"},
     {"LINK_UNKNOWN_DOMAIN"}, {"CONSISTENCY_FOREIGN_DOMAIN"}, NOT_FLAGGED),
    ("macao-centre-own-mo-domain", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已受理，詳情請瀏覽 www.mac.org.mo。"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_FOREIGN_DOMAIN"}, {"likely_genuine"}),
    # ad hoc arbitration put on a loan, an award without a hearing, enforcement without a court
    ("ad-hoc-arbitration-for-all-loans", {"text": "【杭州仲裁委员会】根据新仲裁法，特别仲裁程序适用于所有网络借贷纠纷，您的借款案件已转入特别仲裁庭，无需开庭即可直接裁决并直接强制执行。"},
     {"CONTENT_LAW_MISSTATED"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("ad-hoc-arbitration-free-trade-zone", {"text": "【上海国际仲裁中心】本案为自贸试验区企业间涉外纠纷，双方约定特别仲裁，仲裁庭组成通知详见附件。"},
     set(), {"CONTENT_LAW_MISSTATED"}, NOT_FLAGGED),
    ("award-enforced-by-applying-to-court", {"text": "【杭州仲裁委员会】裁决书已送达。当事人一方不履行的，另一方可以向人民法院申请强制执行。"},
     set(), {"CONTENT_LAW_MISSTATED"}, NOT_FLAGGED),
    # a lecture's or article's title names a subject; a bare title in a notice is still read
    ("lecture-title-names-the-blacklist", {"text": "【律所讲座】本周六14:00《仲裁裁决的强制执行与失信被执行人名单》线上讲座，主讲：张律师，报名请扫海报二维码。"},
     set(), {"CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("bare-title-threat-still-read", {"text": "【网络仲裁委员会】《逮捕令》您已被列入失信被执行人名单。"},
     {"CONTENT_THREAT_ARREST", "CONTENT_THREAT_CREDIT"}, set(), SCAM),
    ("court-enforcement-measures-listed", {"text": "【北京市朝阳区人民法院】（2025）京0105执12345号执行通知：请于收到通知后履行义务，否则本院将依法冻结、划拨你的存款。"},
     {"CASE_NUMBER_OK"}, {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("caution-against-personal-accounts", {"text": "【深圳国际仲裁院】您的案件已受理，请登录 https://www.scia.com.cn/ 查看。请勿向任何个人账户转账。"},
     {"CONTENT_NEGATED_WARNING", "CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"likely_genuine"}),
    ("collector-names-real-body-unread-callback", {"text": "Arbitration notice: your debt with LendFast has been referred to the Hong Kong International Arbitration Centre. Visit https://www.hkiac.org for rules. Our agent will call you from 5555 1234."},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("another-commissions-number-in-text", {"text": "【中国国际经济贸易仲裁委员会】您好，本会已受理您的案件，详询 027-59510888。"},
     {"CONSISTENCY_OTHER_BODY_NUMBER"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("another-commissions-number-as-sender", {"text": "【武汉仲裁委员会】您好，您的案件已受理，详询027-59510888。", "sender": "010-82217788"},
     {"CONSISTENCY_OTHER_BODY_NUMBER"}, {"SENDER_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("international-body-own-reference", {"text": "【HKIAC】Notice of Arbitration: Case No. HKIAC/A25123. The Tribunal has been constituted. Please refer to the Secretariat's email for details."},
     {"CASE_NUMBER_OK", "BODY_REGISTERED"}, {"CASE_NUMBER_MALFORMED"}, NOT_FLAGGED),
    ("lender-reference-is-malformed", {"text": "【网络仲裁中心】案号：ZC-2024-0088，您的借款纠纷已立案。"},
     {"CASE_NUMBER_MALFORMED"}, {"CASE_NUMBER_OK"}, FLAGGED),
    ("sports-league-arbitration-news", {"text": "今晚的比赛判罚引发争议，球队已向联赛仲裁委员会提出申诉。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME", "BODY_KNOWN_FAKE"}, {"unverified"}),
    ("taiwan-association-genuine", {"text": "【中華民國仲裁協會】您好，本會受理之仲裁案件將於12月3日開庭，請準時出席。詳見 www.arbitration.org.tw"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME"}, {"likely_genuine"}),
    ("taiwan-association-line-contact", {"text": "【中華民國仲裁協會】您的網貸逾期，今日不還款將凍結名下所有帳戶，請加LINE: abc12345"},
     {"BODY_REGISTERED", "CONTENT_CALLBACK_MOBILE", "CONTENT_FREEZE_ACCOUNTS"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("division-of-registered-commission", {"text": "【广州仲裁委员会网络仲裁院】您的案件已受理，请登录 https://www.gzac.org 查看。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("macao-centre-genuine-bracketed-code", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已受理，詳情請致電 (853) 2875 2088 或瀏覽 www.mac.org.mo。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME"}, {"likely_genuine"}),
    # Macao's and Taiwan's local numbers, read in a notice that is theirs; a mainland notice keeps its landline
    ("macao-local-mobile-without-code", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已受理，詳情請致電 6612 3456 與承辦人聯絡。"},
     {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("macao-local-own-line-without-code", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已受理，詳情請致電 2875 2088 或瀏覽 www.mac.org.mo。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("taiwan-local-mobile-without-code", {"text": "【臺灣臺北地方法院】您的民事案件開庭通知，請致電承辦書記官 0912-345-678 確認。"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_CITY_MISMATCH"}, FLAGGED),
    ("taiwan-free-line-not-a-mobile", {"text": "【中華民國仲裁協會】您好，本會受理之仲裁案件將於12月3日開庭，請準時出席，查詢請撥 0800-123-456。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("macao-currency-marks-a-local-mobile", {"text": "您的仲裁案件费用 MOP 3000 未缴，请联系 6612 3456 处理。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("taiwan-currency-marks-a-local-mobile", {"text": "您的仲裁案件费用 NT$3000 未缴，请联系 0912-345-678 处理。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("mainland-eight-digits-after-a-fee-stay-unread", {"text": "您的仲裁案件费用3000元未缴，请联系 6612 3456 处理。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED | FLAGGED),
    ("mainland-landline-with-a-09-code", {"text": "【广州仲裁委员会】您的案件已受理，请致电 0912-3456789 咨询。"},
     {"CONSISTENCY_CITY_MISMATCH"}, {"CONTENT_CALLBACK_MOBILE"}, FLAGGED),
    ("macao-centre-other-number", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已受理，詳情請致電 (853) 6612 3456。"},
     {"BODY_REGISTERED", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED | FLAGGED),
    ("bank-mentions-filing-generic-commission", {"text": "【中国银行】尊敬的客户，您尾号4321的信用卡欠款已逾期90天。根据合同约定，我行已向广州仲裁委员会申请仲裁，请留意仲裁委员会的正式通知，或通过中国银行手机银行与我行协商还款。客服热线95566。", "sender": "95566"},
     {"BODY_REGISTERED"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("anti-fraud-warning-quotes-fake-names", {"text": "【广州仲裁委员会】提醒：近期有不法分子冒用“网络仲裁委员会”“互联网仲裁中心”等名义发送短信，声称“今日不处理将冻结银行卡、爆通讯录”并索要转账。本会不会要求当事人向个人账户付款，如有疑问请登录官网 www.gzac.org 核实。", "sender": "10690288"},
     {"CONTENT_NEGATED_WARNING", "BODY_REGISTERED"}, {"BODY_KNOWN_FAKE", "CONTENT_FREEZE_ACCOUNTS", "CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("warning-suspected-impersonation", {"text": "【12381涉诈预警】您好，您的手机号近期接收到疑似冒充仲裁机构的诈骗短信，请勿点击其中链接、勿向陌生账户转账。如有疑问请拨打96110咨询。", "sender": "12381"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("news-reports-scam-names", {"text": "【明報快訊】內地多家仲裁機構提醒公眾：收到「網絡仲裁委員會」短訊要求即日還款或爆通訊錄，均屬詐騙。"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE", "CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("bank-late-fee-is-not-a-prize-script", {"text": "【招商银行】尊敬的客户，您尾号1234的信用卡本期账单已逾期3天，最低还款额1,256.00元未还清。逾期将产生违约金，并可能影响您的个人征信记录。请通过App还款，如已还款请忽略。", "sender": "95555"},
     set(), {"CONTENT_PRIZE_CONTRACT"}, NOT_FLAGGED),
    ("prize-contract-penalty", {"text": "【法院传票】您在某栏目组中奖后未领奖，需支付违约金，否则法院将强制执行，请按9查询。"},
     {"CONTENT_PRIZE_CONTRACT"}, set(), FLAGGED),
    ("genuine-notice-full-width-official-link", {"text": "【北京仲裁委员会】您好，您作为当事人的仲裁案件开庭时间已变更，变更通知已寄送至您的送达地址，详情请登录ｗｗｗ．ｂｊａｃ．ｏｒｇ．ｃｎ查询。"},
     {"LINK_OFFICIAL", "BODY_REGISTERED"}, {"LINK_OBFUSCATED"}, NOT_FLAGGED),
    ("court-enforcement-notice-mentions-payment-account", {"text": "【广州市天河区人民法院】郑*，您好：申请执行人依据广州仲裁委员会（2024）穗仲案字第10387号裁决书向本院申请强制执行，本院已立案执行，案号（2025）粤0106执8842号。请登录 zxfw.court.gov.cn 查看。拒不履行的，本院可依法冻结、划拨存款，并将您纳入失信被执行人名单。执行款只能缴入执行通知书载明的法院执行款专户，请勿向任何个人账户转账。如有疑问，请拨打12368。", "sender": "12368"},
     {"LINK_OFFICIAL", "CASE_PREFIX_MATCH"}, {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("news-self-styled-fake-body", {"text": "【新闻早知道】新修订的仲裁法自2026年3月1日起施行。律师提醒：自称“网络仲裁委员会”的短信并非依法设立的仲裁机构所发，收到后可拨打96110咨询。"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE"}, NOT_FLAGGED),
    ("lawyer-advice-generic-local-body", {"text": "老王，仲裁条款建议写明“提交北京仲裁委员会仲裁”。只写“网络仲裁”或者“当地仲裁机构”的话，仲裁机构约定不明确，仲裁协议可能无效。"},
     {"BODY_REGISTERED"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("family-retells-a-scam", {"text": "妈，你是不是在网上借钱了？我今天收到个短信说你被什么网络仲裁委员会告了，还说要找我。你别怕，我查了那是骗子，别给他们打钱。", "sender": "13900139000"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE"}, NOT_FLAGGED | FLAGGED),
    ("fund-verification-supervision-account", {"text": "【广州仲裁委员会】经审查，（2024）穗仲案字第19208号案件被申请人可申请解除财产保全。依程序需对您的账户资金进行核验：请于3个工作日内将账户余额转入本会资金监管账户（户名：广州某某资产管理有限公司，账号1234 5678 9012 3456），核验完成后原路退回。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONSISTENCY_PAYEE_NOT_BODY"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("unofficial-mini-program", {"text": "【深圳国际仲裁院】尊敬的当事人，您名下存在一笔待处理的仲裁案件。为保护个人隐私，短信不显示案件详情，请在微信搜索小程序“仲裁案件服务中心”，输入本人身份证号查询并在线办理。", "sender": "1069012345604"},
     {"CONSISTENCY_APP_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("spoofed-court-sender-card-details", {"text": "【人民法院送达平台】您有待签收的电子诉讼文书，案号（2024）粤0106民初24561号。请在微信搜索小程序“法院在线服务中心”签收，签收需验证银行卡信息。", "sender": "12368"},
     {"CONTENT_CARD_DETAILS", "CONSISTENCY_APP_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("official-court-mini-program", {"text": "【人民法院】您有一份诉讼文书待签收，请在微信搜索小程序“人民法院在线服务”查看，或登录 https://zxfw.court.gov.cn。", "sender": "12368"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_APP_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("fee-to-a-consulting-company", {"text": "【北京仲裁委员会】您申请的仲裁案件已受理，请于7日内按缴费通知书向本会账户缴纳仲裁费。收款账户：北京某某法律咨询服务有限公司，开户行某某银行，账号1100 0000 0000 0001。"},
     {"CONSISTENCY_PAYEE_NOT_BODY"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("fee-to-the-commission-itself", {"text": "【北京仲裁委员会】您申请的仲裁案件已受理，请于7日内按缴费通知书向本会账户缴纳仲裁费，户名：北京仲裁委员会。详见 www.bjac.org.cn"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"CONSISTENCY_PAYEE_NOT_BODY", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("fee-payee-with-copula", {"text": "【深圳国际仲裁院】您提交的仲裁申请已收到，请按本院官网 www.scia.com.cn 公布的对公账户预交仲裁费，户名为深圳国际仲裁院，咨询0755-25831663。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"CONSISTENCY_PAYEE_NOT_BODY"}, NOT_FLAGGED),
    ("fee-payee-is-this-commission", {"text": "【北京仲裁委员会】您申请的仲裁案件已受理，请于7日内预交仲裁费，收款单位为本会。详见 www.bjac.org.cn"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"CONSISTENCY_PAYEE_NOT_BODY"}, NOT_FLAGGED),
    ("fee-payee-is-this-commissions-clerk", {"text": "【北京仲裁委员会】您申请的仲裁案件已受理，请于7日内预交仲裁费，户名为本会工作人员张某。详见 www.bjac.org.cn"},
     {"CONSISTENCY_PAYEE_NOT_BODY"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("clerk-on-a-400-number-settlement", {"text": "【北京仲裁委员会】您的（2024）京仲案字第07735号案件拟于近期安排开庭。庭前如需和解，请联系本案书记员张老师 400-123-4567（工作日9:00-17:00）确认和解金额及支付方式。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONTENT_PAYMENT_DEMAND"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("family-says-the-message-is-fake", {"text": "妈，你收到的那条“网络仲裁委员会”短信是假的，正规仲裁委都是“城市名+仲裁委员会”，别点里面的链接，也别回电话，我晚上回家跟你说。", "sender": "13800138000"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE", "CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED | FLAGGED),
    ("taiwan-court-lookalike-site", {"text": "【臺灣臺北地方法院】台端有一件民事支付命令（113年度司促字第012345號）已電子送達，請於5日內至 judicial-tw.net 以自然人憑證登入閱覽，逾期將依法確定。"},
     {"LINK_LOOKALIKE"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("courier-mobile-in-delivery-sms", {"text": "【中国邮政】您的EMS邮件1100123456789正在派送，寄件单位：北京仲裁委员会，投递员王师傅 138-0013-8000，请保持电话畅通。"},
     {"BODY_REGISTERED"}, {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED),
    ("courier-on-a-virtual-number-wants-a-card-transfer", {"text": "【中国邮政】您有一件法院专递，投递员 17012345678，请先转账邮费到 6217000000000000000 后派送。"},
     {"CONTENT_CALLBACK_MOBILE", "CONTENT_BANK_CARD"}, set(), FLAGGED),
    ("bank-named-as-the-institution", {"text": "【工商银行】尊敬的客户：您的个人消费贷款第12期应还款4,532.19元已逾期3天，请尽快通过工行手机银行还款。如有疑问请致电95588。", "sender": "95588", "institution": "中国工商银行"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS", "BODY_UNRECOGNISED"}, NOT_FLAGGED),
    ("bank-named-in-english", {"text": "Your credit card payment is overdue; please repay in the app.", "institution": "China Merchants Bank Credit Card Center"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("bank-named-but-pay-a-person", {"text": "【建设银行】您的贷款已逾期，请立即转入安全账户 6217000000000000000，户名王强，否则将起诉并通知您的家人。", "institution": "中国建设银行"},
     {"BODY_NOT_ADJUDICATOR", "CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("police-bulletin-quotes-the-whole-scam", {"text": "【成都市公安局反诈中心】警情通报：近期有不法分子以“网络仲裁委员会”名义群发短信，内容为“【网络仲裁委员会】您的借款纠纷已立案，请于24小时内点击 http://wlzc-case.cc 处理，逾期将冻结名下所有银行卡并通知紧急联系人”。我国不存在“网络仲裁委员会”这一机构，收到类似短信请勿点击，可拨打96110咨询。"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE", "CONTENT_FREEZE_ACCOUNTS", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("government-page-of-another-authority", {"text": "【司法院提醒】法院不會僅以一通電話通知出庭，凡要求匯款、轉帳就是詐騙。更多防詐資訊：https://165.npa.gov.tw/", "institution": "司法院"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED),
    ("hyphen-between-every-character", {"text": "【北-京-仲-裁-委-员-会】您的案件已立案，请于今日联系 17100004444 处理，否则移交法院强制执行。", "sender": "17100004444"},
     {"BODY_REGISTERED", "CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("nameless-arbitration-service-centre", {"text": "【仲裁服务中心】您的欠款案件请尽快处理，详询客服。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("warning-turns-into-the-scam", {"text": "本短信非诈骗短信！【仲裁服务中心】提醒您：近期有不法分子冒充本中心，请认准本中心唯一官方客服微信 zcfwzx_official，其他渠道均为假冒。您的欠款案件请尽快通过官方微信处理。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("code-named-then-reply", {"text": "【广州互联网法院】为核实您的身份以撤销对您的诉讼，请将稍后收到的6位短信验证码回复本号码。", "sender": "17100001111"},
     {"CONTENT_VERIFICATION_CODE"}, set(), FLAGGED),
    ("login-code-not-to-share", {"text": "【12368】您的验证码为482913，5分钟内有效，请勿告诉他人。", "sender": "12368"},
     set(), {"CONTENT_VERIFICATION_CODE"}, NOT_FLAGGED),
    ("reply-a-digit-to-pause-enforcement", {"text": "您的网贷逾期案件已被提交至仲裁机构，明日上午将启动强制执行程序。如需暂停请回复“1”，本中心将安排专员与您联系。", "sender": "ZCW-NOTICE"},
     {"CONTENT_PRESS_KEY"}, set(), FLAGGED),
    ("fee-to-the-case-handler", {"text": "【广州仲裁委员会】您的仲裁案件已受理，为加快结案，案款可直接转至经办人账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("pinyin-notice", {"text": "【zhong cai wei yuan hui】nin de wang dai an jian yi li an，请速联系 fa wu zhuan yuan 16512340000 chu li。"},
     {"CONTENT_LEGAL_NOTICE", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("shiac-site-copied-with-a-hyphen", {"text": "【上海国际仲裁中心】您的案件已受理，请登录 www.shiac-org.cn 缴纳仲裁费。"},
     {"LINK_LOOKALIKE"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("shiac-own-site", {"text": "【上海国际仲裁中心】您的案件已受理，详见 https://www.shiac.org"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, set(), NOT_FLAGGED),
    ("paid-debt-relief", {"text": "【债务优化】国家新规出台！信用卡、网贷逾期可申请停息挂账、停催停诉，先交3,800元服务费。加V：tingcui888", "sender": "10690123456789"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("paid-credit-repair-on-the-real-policy", {"text": "【信用修复加急】央行一次性信用修复政策已实施，本公司可代为加急办理，服务费880元。咨询：17100001111", "sender": "17100001111"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("bank-offers-its-own-instalments", {"text": "【招商银行】您的信用卡已逾期，如还款困难，可通过招商银行App申请个性化分期还款，无需支付任何费用。", "sender": "95555", "institution": "招商银行"},
     set(), {"CONTENT_DEBT_RELIEF_SERVICE"}, NOT_FLAGGED),
    ("shop-refund-the-way-it-came", {"text": "【美团】您的订单已退款23.00元，预计1-3个工作日原路退回。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("pay-in-to-be-verified-and-returned", {"text": "【北京仲裁委员会】您的案件需进行资金核验，请转入核验资金5000元，核验完成后原路退回。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("payroll-card-number-for-hr", {"text": "【人力资源部】新员工请于入职当天在OA系统填写紧急联系人、银行卡号（用于工资发放）等信息。"},
     set(), {"CONTENT_CARD_DETAILS"}, NOT_FLAGGED),
    ("bank-caution-in-english", {"text": "[Bank of China] Your credit card is 10 days overdue. Please repay via BOC Mobile Banking. BOC will never ask you to pay into a personal account or click a link. Service: 95566.", "sender": "95566", "institution": "中国银行"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT", "BODY_SUB_BRAND"}, NOT_FLAGGED),
    ("court-mediation-platform", {"text": "【人民法院调解平台】您有一件借款合同纠纷调解案件待处理，请在微信中搜索“多元调解”小程序查看详情。调解不收费。"},
     {"BODY_SUB_BRAND"}, {"BODY_IMPOSSIBLE_NAME", "CONSISTENCY_APP_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("friend-listed-you-as-emergency-contact", {"text": "跟你说一声，我新公司入职表里紧急联系人填的你，应该不会打给你哈。", "sender": "13800138008"},
     {"CONTENT_EMERGENCY_CONTACT"}, set(), NOT_FLAGGED),
    ("emergency-contact-asked-to-pay-for-a-relative", {"text": "【香港財務追收中心】閣下之親屬李嘉欣拖欠本公司私人貸款HK$52,300，閣下為其登記之緊急聯絡人。請於24小時內代為清還，否則本中心將通知其僱主。繳款連結：hk-debt-centre.com/pay"},
     {"CONTENT_EMERGENCY_CONTACT", "CONTENT_PAYMENT_DEMAND", "CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("id-number-by-reply", {"text": "潍坊仲裁委：您有一件待送达的仲裁文书，为确保送达，请回复您的身份证号码和现居住地址，工作人员将为您邮寄。", "sender": "16712093481"},
     {"CONTENT_ID_DETAILS"}, set(), FLAGGED),
    ("old-style-court-number-dated-now", {"text": "诉讼通知：（2024）民初字第3381号，您因借贷纠纷被起诉，开庭前须缴纳诉讼保证金2000元至法院指定账户，否则视为自动放弃答辩。", "sender": "13283710462"},
     {"CASE_NUMBER_MALFORMED", "CONTENT_PAYMENT_DEMAND"}, {"CASE_NUMBER_OK"}, FLAGGED),
    ("old-style-court-number-before-2016", {"text": "你好，翻到一份旧判决书，案号（2015）朝民初字第123号，你看看是不是当年那个案子。"},
     {"CASE_NUMBER_OK"}, {"CASE_NUMBER_MALFORMED"}, NOT_FLAGGED),
    ("summons-reply-1-for-a-person", {"text": "我们最后一次通知你，你有一张法院的传票，请尽快领取。详情请致电 0774-5819337 或回复1转人工。", "sender": "07745819337"},
     {"CONTENT_PRESS_KEY"}, set(), FLAGGED),
    ("friend-going-to-labour-arbitration", {"text": "下周三我要去区劳动仲裁委交材料，你上次仲裁带了哪些证据？工资条要原件吗？"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("mediation-hotline-or-assets-frozen", {"text": "尊敬的客户，您因贷款逾期，现已进入诉前调解程序，请五日内拨打调解热线0571-86930214，避免法院起诉及财产冻结。", "sender": "10691582047"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("singapore-company-name-is-no-link", {"text": "CIETAC Notice of Arbitration. To: Sunrise Textiles Pte. Ltd. The Claimant has applied for arbitration. Further information: www.cietac.org", "institution": "CIETAC"},
     {"LINK_OFFICIAL"}, {"LINK_OBFUSCATED", "LINK_UNKNOWN_DOMAIN", "CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("hong-kong-labour-tribunal", {"text": "勞資審裁處 提訊通知書 案件編號：LBTC 003218/2025 本處定於2025年10月28日上午9時30分進行提訊。有關程序詳情可瀏覽司法機構網站 www.judiciary.hk。", "institution": "勞資審裁處"},
     {"BODY_LAWFUL_PATTERN", "CASE_NUMBER_OK", "LINK_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME", "CASE_NUMBER_MALFORMED"}, NOT_FLAGGED),
    ("paypal-friends-and-family-to-stop-a-claim", {"text": "UK County Court: MoneyNow UK has filed a claim against you. To stop the CCJ, send £450 by PayPal Friends & Family and reply with your BRP number.", "sender": "courtfees.uk.settlement@outlook.com"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_ID_DETAILS"}, set(), FLAGGED),
    ("run-the-attached-exe", {"text": "Your supplier has applied to CIETAC for arbitration. Please download and run the attached \"CIETAC_Case_Viewer.exe\" to read the Notice."},
     {"CONTENT_INSTALL_APP"}, set(), FLAGGED),
    ("card-and-pin-to-a-prosecutor", {"text": "您好，這裡是臺北地檢署，您的帳戶涉及洗錢。請於今天下午三點前將您的金融卡及密碼交給本署派去的專員，並繳交公證金新臺幣20萬元。", "sender": "+886 2 2361 9027"},
     {"CONTENT_CARD_DETAILS", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("hearing-login-details-by-email", {"text": "SCIA Notice of Hearing: the hearing will be held by video conference; login details will be provided by the case manager through https://online.scia.com.cn ."},
     set(), {"CONTENT_CARD_DETAILS"}, NOT_FLAGGED),
    ("ocr-letter-l-for-one", {"text": "【广州仲裁委员会】您的案件(2025)穗仲案字第l2345号已进入裁决程序，请明天上午l0点前致电l7l 3390 6628协商，否则将移送公安机关处理。", "institution": "广州仲裁委员会"},
     {"CONTENT_CALLBACK_MOBILE", "CONTENT_THREAT_ARREST"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("worried-wife-asks", {"text": "我老公欠了网贷，现在天天有人打电话说要仲裁，会坐牢吗"},
     set(), {"CONTENT_THREAT_ARREST"}, NOT_FLAGGED),
    ("police-notice-quotes-the-sms", {"text": "近期，我辖区多名居民收到自称“网络仲裁委员会”发送的短信，内容多为“您的借款纠纷已立案，请于24小时内点击链接处理，否则冻结名下银行卡并通知紧急联系人”。仲裁委员会一般以所在城市命名，如“某某市仲裁委员会”。"},
     {"CONTENT_NEGATED_WARNING"}, {"BODY_KNOWN_FAKE", "BODY_NEAR_MISS", "CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("labour-commission", {"text": "【杭州市上城区劳动人事争议仲裁委员会】您申请的劳动争议案件已受理，定于7月12日上午9:30在本委第二仲裁庭开庭。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME", "BODY_KNOWN_FAKE"}, NOT_FLAGGED),
    ("rural-land-county", {"text": "【平江县农村土地承包仲裁委员会】您与村民委员会的土地流转纠纷已受理。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("real-body-lookalike-link", {"text": "【北京仲裁委员会】您的案件已立案，请登录 https://bjac-org.cn/case 查看裁决书。"},
     {"BODY_REGISTERED", "LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("registered-body-links-another-commissions-site", {"text": "【亳州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org 查阅仲裁文书。"},
     {"BODY_REGISTERED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("real-body-official-link-personal-payment", {"text": "【北京仲裁委员会】您的案件已受理，详见 www.bjac.org.cn。如需和解请将款项转入以下账户 户名：张三 账号 6222 0212 3456 7890 123。"},
     {"LINK_OFFICIAL", "CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_BANK_CARD"}, set(), FLAGGED),
    ("fake-body-no-link", {"text": "【网络仲裁委员会】您的借款纠纷已立案，请尽快处理。"},
     {"BODY_KNOWN_FAKE", "LINK_NONE"}, set(), FLAGGED),
    ("ordinary-meeting", {"text": "明天下午三点开会"},
     {"BODY_NONE", "LINK_NONE", "CONTENT_NONE", "CASE_NONE", "SENDER_NOT_GIVEN"}, set(), {"unverified"}),
    ("genuine-commission", {"text": "【广州仲裁委员会】申请人某银行与您的金融借款合同纠纷一案已受理，请登录 https://www.gzac.org 查阅仲裁文书。", "sender": "10690200123456"},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL", "SENDER_SERVICE_PORT"}, set(), {"likely_genuine"}),
    # --- sender
    ("sender-mobile", {"text": "您的仲裁案件已立案。", "sender": "13800138000"}, {"SENDER_PERSONAL_MOBILE"}, set(), NOT_FLAGGED | FLAGGED),
    ("sender-virtual", {"text": "您的仲裁案件已立案，请回电。", "sender": "+86 170 1234 5678"}, {"SENDER_VIRTUAL_OPERATOR", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("sender-foreign", {"text": "Arbitration notice: call back now.", "sender": "+44 7700 900123"}, {"SENDER_FOREIGN"}, set(), FLAGGED),
    ("sender-short", {"text": "您的信用卡账单已出。", "sender": "95588"}, {"SENDER_SHORT_NUMBER"}, set(), {"unverified"}),
    ("sender-400", {"text": "您的仲裁案件已受理。", "sender": "400-812-3456"}, {"SENDER_HOTLINE_400"}, set(), NOT_FLAGGED | FLAGGED),
    ("sender-landline", {"text": "请明天来取件。", "sender": "020-83287919"}, {"SENDER_LANDLINE"}, set(), {"unverified"}),
    ("sender-alnum", {"text": "Your parcel is on its way.", "sender": "DHL-INFO"}, {"SENDER_ALPHANUMERIC"}, set(), {"unverified"}),
    ("sender-hidden", {"text": "您的仲裁案件已立案。", "sender": "未知号码"}, {"SENDER_HIDDEN"}, set(), NOT_FLAGGED | FLAGGED),
    ("sender-unparseable", {"text": "hello", "sender": "---"}, {"SENDER_UNPARSEABLE"}, set(), {"unverified"}),
    ("sender-official", {"text": "【中国国际经济贸易仲裁委员会】您的案件仲裁庭已组成。", "sender": "010-82217788"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_SIGNATURE_TYPED"}, {"likely_genuine"}),
    # a carrier adds 【signature】 on business SMS ports only: on a phone's message someone typed it
    ("signature-typed-on-mobile", {"text": "【北京仲裁委员会】您的案件（2026）京仲案字第08813号即将开庭，请与仲裁秘书联系。", "sender": "+86 138 1234 5678"},
     {"SENDER_SIGNATURE_TYPED", "SENDER_PERSONAL_MOBILE", "BODY_REGISTERED"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("signature-typed-on-foreign-number", {"text": " 〖深圳国际仲裁院〗您的案件已受理。", "sender": "+63 917 882 1204"},
     {"SENDER_SIGNATURE_TYPED", "SENDER_FOREIGN"}, set(), FLAGGED),
    ("signature-from-gateway", {"text": "【北京仲裁委员会】您的案件（2026）京仲案字第08813号即将开庭，请与仲裁秘书联系。", "sender": "10690200123456"},
     {"SENDER_SERVICE_PORT"}, {"SENDER_SIGNATURE_TYPED"}, NOT_FLAGGED),
    ("signature-quoted-in-a-forward", {"text": "你看下这条：【北京仲裁委员会】您的案件即将开庭，请与仲裁秘书联系。", "sender": "13812345678"},
     {"SENDER_PERSONAL_MOBILE"}, {"SENDER_SIGNATURE_TYPED"}, NOT_FLAGGED | FLAGGED),
    ("signature-on-ordinary-message-from-mobile", {"text": "【顺丰速运】您的快递已到小区驿站，取件码 3-2-1108。", "sender": "13812345678"},
     {"SENDER_SIGNATURE_TYPED"}, set(), NOT_FLAGGED),  # on its own, outside a legal notice, not a flag
    ("secretary-texts-without-signature", {"text": "王先生您好，我是仲裁秘书，您的案件下周三开庭，请准备好证据材料。", "sender": "13812345678"},
     {"SENDER_PERSONAL_MOBILE"}, {"SENDER_SIGNATURE_TYPED"}, NOT_FLAGGED | FLAGGED),
    # a gateway writes the official Beijing landline internationally: 10 is Beijing's area code, not a mobile's 1
    ("sender-official-international-form", {"text": "【中国国际经济贸易仲裁委员会】您的案件仲裁庭已组成。", "sender": "0086-10-82217788"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, set(), {"likely_genuine"}),
    ("phone-official-international-form", {"text": "CIETAC: the Notice of Arbitration has been sent to you by courier. Enquiries: +86 10 82217788 / www.cietac.org."}, {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("phone-other-beijing-line-international-form", {"text": "CIETAC: please download the Notice of Arbitration from www.cietac.org and call +86 10 1234 5678."}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED | FLAGGED),
    ("sender-not-official", {"text": "【中国国际经济贸易仲裁委员会】您的案件已转入速裁程序，请回电。", "sender": "02165550177"}, {"SENDER_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- links
    ("link-embedded", {"text": "【北京仲裁委员会】请登录 bjac.org.cn.pay-case.cc 缴纳费用"}, {"LINK_EMBEDDED_OFFICIAL"}, set(), FLAGGED),
    ("link-embedded-after-hyphen", {"text": "【人民法院送达平台】您有一份传票待领取，请登录 https://sd-court.gov.cn.cdsk.top 查收。"}, {"LINK_EMBEDDED_OFFICIAL"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("link-userinfo-official", {"text": "【广州仲裁委员会】案件已受理，请登录 gzac.org@case-gz.top/login 查看。"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED"}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("link-userinfo-with-scheme", {"text": "【广州仲裁委员会】请登录 https://www.gzac.org:443@203.0.113.9/case 查看。"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_IP_LITERAL"}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("email-is-not-a-link", {"text": "【中国国际经济贸易仲裁委员会】材料请发送至 zhang.wei@cietac.org 或 info@cietac.org，详见 www.cietac.org"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"LINK_OBFUSCATED", "LINK_EMBEDDED_OFFICIAL"}, {"likely_genuine"}),
    # a mailbox whose user part ends in a word that is also a TLD (.case, .legal, .support) was read
    # as a link to the mail host wearing the body's name: reasons spoke of a disguised link
    ("mailbox-user-part-ends-in-a-tld", {"text": "【中国国际经济贸易仲裁委员会】答辩材料请发送至 cietac.case@qq.com，官网 www.cietac.org。"},
     {"CONSISTENCY_EMAIL_NOT_OFFICIAL", "LINK_OFFICIAL"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("mailbox-only-channel", {"text": "【北京仲裁委员会】请将身份证照片发送至 bjac.legal@163.com 或 bjac.notice@163.com 完成送达确认。"},
     {"CONSISTENCY_EMAIL_NOT_OFFICIAL", "LINK_NONE"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("mailbox-user-part-ends-in-a-tld-at-the-bodys-domain", {"text": "【中国国际经济贸易仲裁委员会】答辩材料可发送至 cietac.case@cietac.org，详询010-82217788。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"LINK_OBFUSCATED", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"likely_genuine"}),
    # ... but the userinfo trick stays a link: with a path or port, given as a link, after a
    # scheme inside another link, or with an official domain as the user part
    ("link-userinfo-tld-word-with-path", {"text": "【中国国际经济贸易仲裁委员会】请登录 cietac.case@cietac-case.xyz/login 查看。"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_EMAIL_NOT_OFFICIAL"}, SCAM),
    ("link-userinfo-tld-word-with-port", {"text": "【中国国际经济贸易仲裁委员会】请登录 cietac.case@cietac-case.xyz:8443 查看。"},
     {"LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_EMAIL_NOT_OFFICIAL"}, FLAGGED),
    ("link-userinfo-official-without-path", {"text": "【广州仲裁委员会】案件已受理，请登录 gzac.org@case-gz.top 查看。"},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED"}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, SCAM),
    ("link-userinfo-given-as-a-link", {"text": "【中国国际经济贸易仲裁委员会】案件已受理", "links": ["cietac.case@cietac-case.xyz"]},
     {"LINK_EMBEDDED_OFFICIAL", "LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("link-userinfo-in-an-open-redirect", {"text": "【广州仲裁委员会】请登录 https://www.gzac.org/jump?url=https://gzac.case@gzac-case.top 查看。"},
     {"LINK_OFFICIAL", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, FLAGGED),
    ("registered-body-card-transfer", {"text": "深圳国际仲裁院通知：请立即向以下账户转账仲裁费 6222 0212 3456 7890 123，户名李四"},
     {"CONTENT_BANK_CARD", "CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("short-acronym-one-letter-apart-is-not-a-lookalike", {"text": "【上海仲裁委员会】（2025）沪仲案字第2345号案件仲裁庭已作出裁决，请登录 www.shac.org.cn 查阅。", "sender": "10690215"},
     {"LINK_UNKNOWN_DOMAIN"}, {"LINK_LOOKALIKE"}, NOT_FLAGGED),
    ("short-acronym-letter-added-is-a-lookalike", {"text": "【广州仲裁委员会】请访问 www.gzacc.org 查看"}, {"LINK_LOOKALIKE"}, set(), FLAGGED),
    ("link-digit-lookalike", {"text": "【广州仲裁委员会】请访问 gzac0rg.com 进行调解确认"}, {"LINK_LOOKALIKE"}, set(), FLAGGED),
    ("link-punycode", {"text": "仲裁案件查询 http://xn--bjac-7ve.com/case"}, {"LINK_PUNYCODE"}, set(), NOT_FLAGGED | FLAGGED),
    ("link-shortener-legal", {"text": "【仲裁文书送达】您有一份裁决书待查收 dwz.cn/zC8kQ2"}, {"LINK_SHORTENER"}, set(), FLAGGED),
    ("link-shortener-ad", {"text": "双十一大促，全场五折 t.cn/A6x9Zq 回T退订"}, {"LINK_SHORTENER"}, set(), {"unverified"}),
    ("link-ip", {"text": "仲裁确认请打开 http://47.96.123.45:8080/case/3391"}, {"LINK_IP_LITERAL"}, set(), FLAGGED),
    ("link-decimal-ip", {"text": "see http://2130706433/case"}, {"LINK_IP_LITERAL"}, set(), FLAGGED),
    ("link-apk", {"text": "查看裁决书请下载 http://zct-app.cn/download/zct.apk"}, {"LINK_APK"}, set(), FLAGGED),
    ("link-free-hosting", {"text": "【金融纠纷仲裁】您的案件查询地址：https://zcaj-query.netlify.app"}, {"LINK_FREE_HOSTING"}, set(), FLAGGED),
    ("link-obfuscated-dian", {"text": "【網絡仲裁委員會】案件查詢請瀏覽 www點wlzc88點com"}, {"LINK_OBFUSCATED", "BODY_KNOWN_FAKE"}, set(), FLAGGED),
    ("link-obfuscated-brackets", {"text": "仲裁结果见 hxxp://wlzc88[.]com/case"}, {"LINK_OBFUSCATED"}, set(), FLAGGED),
    ("link-spaced-out", {"text": "Internet Arbitration Commission: visit w w w . i a c - c a s e . c o m now"}, {"LINK_OBFUSCATED", "BODY_KNOWN_FAKE"}, set(), FLAGGED),
    ("link-fullwidth", {"text": "仲裁查询：ｗｗｗ．ｗｌｚｃ８８．ｃｏｍ"}, {"LINK_OBFUSCATED"}, set(), FLAGGED),
    ("link-unknown-ad", {"text": "新品上市 https://www.example-shop.com"}, {"LINK_UNKNOWN_DOMAIN"}, set(), {"unverified"}),
    ("link-given-separately", {"text": "【北京仲裁委员会】案件已受理", "links": ["https://www.bjac.org.cn/case"]}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, set(), {"likely_genuine"}),
    ("link-too-many", {"text": " ".join(f"https://s{i}.example.com" for i in range(60))}, {"LINK_TOO_MANY"}, set(), NOT_FLAGGED | FLAGGED),
    ("link-gov-cn", {"text": "【深圳市劳动人事争议仲裁委员会】请登录 https://hrss.sz.gov.cn 查看开庭通知。"}, {"LINK_OFFICIAL"}, {"LINK_UNKNOWN_DOMAIN"}, NOT_FLAGGED),
    # --- bodies
    ("body-impossible", {"text": "【全国电子仲裁中心】您的案件已立案"}, {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("body-bare-signature", {"text": "【仲裁中心】为进行线上调解，请下载视频会议软件并开启屏幕分享"}, {"BODY_IMPOSSIBLE_NAME", "CONTENT_SCREEN_SHARE"}, set(), SCAM),
    ("body-near-miss", {"text": "【北京仲栽委员会】您涉及的借贷纠纷案件已立案，请今日内联系 18800188000"}, {"BODY_NEAR_MISS"}, {"BODY_REGISTERED"}, FLAGGED),
    ("body-near-miss-trad", {"text": "【深圳國際仲栽院】您的糾紛已提交本院，請聯絡承辦人微信 scia_tj01"}, {"BODY_NEAR_MISS"}, {"BODY_REGISTERED"}, FLAGGED),
    ("body-non-body", {"text": "【法务部】您的借款已严重逾期，我部将上门走访"}, {"BODY_NON_BODY", "CONTENT_THREAT_HOME_VISIT"}, set(), FLAGGED),
    ("body-sub-brand", {"text": "【中国南沙国际仲裁中心】您的案件材料已送达，请查收。"}, {"BODY_SUB_BRAND"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("body-lawful-unlisted", {"text": "【丽江仲裁委员会】您的案件已受理，请留意书面通知。"}, {"BODY_LAWFUL_PATTERN"}, set(), NOT_FLAGGED),
    ("body-city-plus-fake", {"text": "【广州市网络仲裁委员会】您的借款纠纷已立案"}, set(), {"BODY_LAWFUL_PATTERN", "BODY_REGISTERED"}, FLAGGED),
    ("body-impossible-court", {"text": "北京市人民法院通知：您与淘宝网签约一份领奖合同，请立即联系本院解除合同。"}, {"BODY_IMPOSSIBLE_NAME", "CONTENT_PRIZE_CONTRACT"}, set(), FLAGGED),
    ("body-english-fake", {"text": "INTERNET ARBITRATION COMMISSION: settle within 24 hours or all your bank accounts will be frozen."}, {"BODY_KNOWN_FAKE", "CONTENT_DEADLINE_HOURS", "CONTENT_FREEZE_ACCOUNTS"}, set(), SCAM),
    ("body-english-registered", {"text": "HKIAC: documents are available on https://www.hkiac.org ."}, {"BODY_REGISTERED", "LINK_OFFICIAL"}, set(), {"likely_genuine"}),
    ("body-english-unrecognised", {"text": "Pacific Arbitration Council: your hearing is scheduled."}, {"BODY_UNRECOGNISED"}, set(), NOT_FLAGGED),
    # a registered foreign institution's Chinese name is the institution (sourced aliases), not an impossible name
    ("body-foreign-chinese-name", {"text": "【新加坡國際仲裁中心】貴司案件材料已通過電郵送達，詳見 https://www.siac.org.sg 。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, {"likely_genuine"}),
    ("body-foreign-chinese-name-near-miss-before", {"text": "【国际商会仲裁院】贵司仲裁案件的审理范围书已通过电子邮件发送，请查收。"},
     {"BODY_REGISTERED"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("body-foreign-chinese-name-lookalike", {"text": "伦敦国际仲裁院通知：您的网贷纠纷已立案，请登录 http://lcia-case.top 缴纳仲裁费。"},
     {"BODY_REGISTERED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME"}, FLAGGED),
    ("body-english-international-not-national", {"text": "Beijing International Arbitration Center (BAC): hearing on 3 December, see https://www.bjac.org.cn"}, {"BODY_REGISTERED"}, {"BODY_KNOWN_FAKE"}, NOT_FLAGGED),
    ("body-institution-field", {"text": "您的案件已立案", "institution": "網絡仲裁委員會"}, {"BODY_KNOWN_FAKE"}, set(), FLAGGED),
    # a notice copied from a web page whose converter glossed characters with pinyin
    ("body-clause-is-not-a-name", {"text": "老师，请问仲裁法第十条规定仲裁委员会由哪一级人民政府组建？"}, set(), {"BODY_IMPOSSIBLE_NAME"}, {"unverified"}),
    ("body-bureau", {"text": "【国家仲裁局】您的网络借款纠纷案已立案，请今日内处理"}, {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("body-supervision-centre", {"text": "【金融仲裁监管中心】因您名下账户涉及仲裁案件，需进行资产审查"}, {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("body-internet-tribunal", {"text": "【全国互联网仲裁法庭】您的借款已被立案，点击链接查看起诉书。"}, {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("body-online-prefix", {"text": "【網上仲裁委員會】你的貸款已逾期，已提交仲裁。"}, {"BODY_IMPOSSIBLE_NAME"}, {"BODY_REGISTERED", "BODY_NEAR_MISS"}, FLAGGED),
    ("body-labour-bureau-as-people-say-it", {"text": "明天去劳动仲裁局申请仲裁，帮我请个假"}, set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, {"unverified"}),
    ("body-pinyin-glossed-copy", {"text": "網友曬出的短信：【網(wǎng)絡(luò)仲裁委員會(huì)】您的借款已逾期，請(qǐng)於今日聯(lián)系處理"}, {"BODY_KNOWN_FAKE"}, set(), FLAGGED),
    # --- case numbers
    ("case-ok-match", {"text": "【北京仲裁委员会】（2024）京仲裁字第11021号案件开庭通知，详见 https://www.bjac.org.cn"}, {"CASE_NUMBER_OK", "CASE_PREFIX_MATCH"}, set(), {"likely_genuine"}),
    ("case-mismatch", {"text": "【中国国际经济贸易仲裁委员会】（2024）京仲裁字第88号案件请回电处理"}, {"CASE_PREFIX_MISMATCH"}, set(), FLAGGED),
    ("case-city-mismatch", {"text": "【北京仲裁委员会】案号（2024）穗仲案字第10293号，请于今天内联系书记员协商。"}, {"CONSISTENCY_CITY_MISMATCH"}, set(), FLAGGED),
    ("case-malformed-year", {"text": "【网络仲裁委员会】您的案件（20244）网仲字第ZC88号已立案"}, {"CASE_NUMBER_MALFORMED"}, {"CASE_NUMBER_OK"}, FLAGGED),
    ("case-malformed-label", {"text": "仲裁通知：案号：ZC-2024-0088，请立即处理。"}, {"CASE_NUMBER_MALFORMED"}, set(), NOT_FLAGGED | FLAGGED),
    # --- content
    ("content-personal-account", {"text": "您的仲裁案件请今天内将欠款转至承办人支付宝 zc_luoyang@163.com（户名：李*）"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("content-verification-code", {"text": "本会受理的借款纠纷案需您在线确认身份，请输入收到的短信验证码完成认证。"}, {"CONTENT_VERIFICATION_CODE"}, set(), FLAGGED),
    # (from Alipay's own 95188, so all its channels are Alipay's: likely_genuine since edition -80)
    ("content-otp-is-ordinary", {"text": "【支付宝】验证码123456，用于登录，5分钟内有效。请勿将验证码告知他人。", "sender": "95188"}, set(), {"CONTENT_VERIFICATION_CODE"}, NOT_FLAGGED),
    ("content-code-to-the-staff", {"text": "【仲裁调解中心】稍后您会收到一条验证码短信，请将验证码告知工作人员以完成撤案，切勿告知他人。"}, {"CONTENT_VERIFICATION_CODE"}, set(), FLAGGED),
    ("content-otp-strictly-private", {"text": "【工商银行】验证码为386512，验证码严禁告知他人。", "sender": "95588"}, set(), {"CONTENT_VERIFICATION_CODE"}, {"unverified"}),
    ("content-otp-never-share-en", {"text": "Your one-time password is 482913. Never share this code with anyone, including bank staff.", "sender": "HSBC"}, set(), {"CONTENT_VERIFICATION_CODE"}, {"unverified"}),
    ("content-card-number-and-password", {"text": "【仲裁中心】请回复银行卡号及密码配合核查，否则今晚冻结。"}, {"CONTENT_CARD_DETAILS"}, set(), FLAGGED),
    ("content-install-app", {"text": "【网络仲裁】查看裁决书请下载“仲裁通”APP"}, {"CONTENT_INSTALL_APP"}, set(), FLAGGED),
    ("content-screen-share", {"text": "仲裁调解员将指导您开启屏幕共享核对流水"}, {"CONTENT_SCREEN_SHARE"}, set(), FLAGGED),
    ("content-arrest", {"text": "【互联网金融仲裁中心】今天下午5点前未结清将移送公安机关追究刑事责任。"}, {"CONTENT_THREAT_ARREST", "CONTENT_DEADLINE_HOURS"}, set(), SCAM),
    ("content-home-visit-family", {"text": "您在錦程的借款已逾期，已申請網絡仲裁，明天上門家訪。"}, {"CONTENT_THREAT_HOME_VISIT"}, set(), NOT_FLAGGED | FLAGGED),
    ("content-contacts", {"text": "你的欠款已申请仲裁，今天不还，我们就爆你通讯录。"}, {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("content-contacts-trad", {"text": "最後通知：你的欠款已申請仲裁，今天不還，我們就爆你通訊錄。"}, {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("content-freeze", {"text": "通知：仲裁冻结令已下达，24小时后将冻\u200b结名下全部银\u200b行卡。"}, {"CONTENT_FREEZE_ACCOUNTS", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    # invisible tag characters (U+E0020) inside a known fake body's name: read as written close
    ("body-fake-tag-characters", {"text": "【网络\U000e0020仲裁\U000e0020委员会】您的案件已立案，请登录 http://case-pay.cc 查询"},
     {"BODY_KNOWN_FAKE", "LINK_UNKNOWN_DOMAIN"}, set(), FLAGGED),
    ("link-tag-characters", {"text": "【北京仲裁委员会】请登录 http://case\U000e0020-pay.cc 查询"},
     {"LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, set(), SCAM),
    ("content-credit", {"text": "Arbitration case: unpaid debts will be reported to the credit bureau and you will be blacklisted."}, {"CONTENT_THREAT_CREDIT"}, set(), NOT_FLAGGED | FLAGGED),
    ("content-emergency", {"text": "您被填写为紧急联系人，请转告其今晚8点前还款，否则通知其家人及公司同事。"}, {"CONTENT_EMERGENCY_CONTACT", "CONTENT_RELAY_REQUEST", "CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("content-relay-in-chat", {"text": "请转告你爸明天早点回家吃饭"}, {"CONTENT_RELAY_REQUEST"}, set(), {"unverified"}),
    ("content-qr", {"text": "【北京仲裁委員會】閣下案件已裁決，請掃描附件二維碼繳納執行款。"}, {"CONTENT_QR_CODE", "CONTENT_PAYMENT_DEMAND"}, set(), NOT_FLAGGED | FLAGGED),
    ("content-bank-card", {"text": "Arbitration award: transfer the amount to account 6222 0000 1234 5678 901 (holder: Zhang Wei)."}, {"CONTENT_BANK_CARD", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    # eighteen digits shaped as an identity number (province, birth date) are the reader's sign-in account, not a card
    ("id-number-as-sign-in-account", {"text": "【武汉市洪山区人民法院】您有（2025）鄂0111民初5678号案件文书送达。账号 420111198806152315 默认密码：803164 请登录 http://dzsd.hbfy.gov.cn/sfsddz 查收。"},
     {"LINK_OFFICIAL"}, {"CONTENT_BANK_CARD"}, NOT_FLAGGED),
    ("id-number-named-in-a-demand-not-a-card", {"text": "【仲裁中心】身份证号 440305198506153217 名下借款已立案，请今日联系专员 13812345678 处理。"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONTENT_BANK_CARD"}, FLAGGED),
    ("eighteen-digit-card-after-account-label", {"text": "【仲裁中心】请将执行款转入书记员账号 621700123456789012，逾期冻结名下账户。"},
     {"CONTENT_BANK_CARD"}, set(), FLAGGED),
    ("card-whose-middle-is-no-date", {"text": "【仲裁中心】请将执行款汇至 6228 4800 1299 3321 577，今天不处理将强制执行。"},
     {"CONTENT_BANK_CARD"}, set(), FLAGGED),
    # a spaced-out run is joined up to a dot that ends a sentence (lower case or digit, then a capital)
    ("link-spaced-sentence-dot-is-no-label", {"text": " ".join("Shenzhen Court of International Arbitration (SCIA): your case materials have been uploaded to the SCIA Online Arbitration Service Platform, https://online.scia.com.cn . Tel: +86 755 8350 1700.")},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"LINK_EMBEDDED_OFFICIAL", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("link-spaced-in-capitals-joins-whole", {"text": "【广州仲裁委员会】请登录 W W W . G Z A C - C A S E . T O P 查看"},
     {"LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("link-spaced-lookalike-before-a-sentence", {"text": "Guangzhou Arbitration Commission: log in at w w w . g z a c - c a s e . t o p . Then pay the fee."},
     {"LINK_LOOKALIKE", "LINK_ABUSED_TLD"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("spaced-payment-to-an-unread-number-beside-an-official-link", {"text": " ".join("HKIAC: you are the respondent in HKIAC/A26041. Documents: www.hkiac.org. To settle, pay HKD 5,000 via FPS to 98765432 (Chan Tai Man).")},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),  # the words read, the number an FPS payee
    ("content-callback-spaced", {"text": "通知：你的仲裁案件已下达，撤案联系 1 3 9 - 0 0 1 3 - 9 0 0 0，过了今天晚上10点就没有机会了。"}, {"CONTENT_CALLBACK_MOBILE", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("content-caution-not-counted", {"text": "【中国国际经济贸易仲裁委员会】本会不会要求您向任何个人账户转账，也不会索要验证码。"}, {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("content-anti-fraud-notice", {"text": "【国家反诈中心】近期冒充“网络仲裁委员会”发送仲裁通知的诈骗高发，凡要求转账到个人账户、下载APP、共享屏幕的都是诈骗。", "sender": "12381"}, set(), {"BODY_KNOWN_FAKE", "CONTENT_SCREEN_SHARE"}, NOT_FLAGGED),
    ("content-press-key", {"text": "【法院通知】您有一张传票未领取，请按9查询详情。"}, {"CONTENT_PRESS_KEY"}, set(), FLAGGED),
    # a summons said to be uncollected, or to be collected by calling, is the fake court call's script;
    # a court that sends someone to collect papers names its own counter, and a post office names a parcel
    ("content-unclaimed-summons", {"text": "您有一份法院传票尚未领取，详情请致电0755-12345678。"},
     {"CONTENT_UNCLAIMED_SUMMONS"}, set(), FLAGGED),
    ("content-summons-collect-by-calling", {"text": "这里是人民法院，您有一张传票，请尽快联系我们领取，人工服务请稍候。", "channel": "call"},
     {"CONTENT_UNCLAIMED_SUMMONS"}, set(), FLAGGED),
    ("court-summons-collect-at-the-court", {"text": "【杭州市西湖区人民法院】您的（2025）浙0106民初1234号案件传票已寄出，如未收到，请联系书记员后到本院诉讼服务中心领取。", "sender": "12368"},
     {"SENDER_OFFICIAL"}, {"CONTENT_UNCLAIMED_SUMMONS"}, NOT_FLAGGED),
    ("post-office-court-parcel-uncollected", {"text": "【中国邮政】您有一件法院专递未领取，请携带身份证到网点领取。", "sender": "11183"},
     set(), {"CONTENT_UNCLAIMED_SUMMONS"}, NOT_FLAGGED),
    ("content-legal-notice", {"text": "您的仲裁案件已受理。"}, {"CONTENT_LEGAL_NOTICE"}, set(), {"unverified"}),
    ("content-phone-not-official", {"text": "【深圳国际仲裁院】您的案件请致电 0755-88886666 处理。"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, set(), NOT_FLAGGED | FLAGGED),
    # --- set 11: one scammer's channel in an otherwise official notice
    ("free-mailbox-for-a-body-with-a-site", {"text": "【重庆仲裁委员会】（2025）渝仲字第1234号。请于2025年12月20日前提交答辩意见，发送邮件至 cq_case2025@126.com。官网 www.cqac.org.cn。"},
     {"CONSISTENCY_EMAIL_NOT_OFFICIAL", "CASE_PREFIX_MATCH", "LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("mailbox-under-the-bodys-own-domain", {"text": "【中国国际经济贸易仲裁委员会】答辩材料可发送至 case@cietac.org，详询010-82217788。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_EMAIL_NOT_OFFICIAL", "LINK_OBFUSCATED"}, {"likely_genuine"}),
    ("readers-own-mailbox-is-not-a-channel", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁申请材料已收到，回执已发送至您的邮箱 li.ming@example.com。详询010-82217788。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("mailbox-said-to-be-yours-but-an-officers", {"text": "【中国国际经济贸易仲裁委员会】请将答辩材料发送至您的案件专员邮箱 case01@qq.com。详询010-82217788。"},
     {"CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("refund-to-the-readers-own-account", {"text": "【深圳国际仲裁院】您预交的仲裁费余额将退还至您的账户，户名：张三，账号尾号1234。详询0755-83501700。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONSISTENCY_PAYEE_NOT_BODY"}, {"likely_genuine"}),
    ("refund-promised-then-a-fee-to-a-person", {"text": "【深圳国际仲裁院】您的仲裁费将退回至您的账户，请先将手续费转至户名：张三，账号 6222 0212 3456 7890 123。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONSISTENCY_PAYEE_NOT_BODY"}, {"CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("company-account-as-payee", {"text": "【武汉仲裁委员会】（2025）武仲裁字第1288号。请于3日内将案件保证金转入对公账户：武汉某某商务咨询有限公司，账号 4200 5678 1234 9012 0011，开户行建设银行。"},
     {"CONSISTENCY_PAYEE_NOT_BODY", "CONTENT_BANK_CARD"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("account-without-payee-is-not-confirmed", {"text": "【北京仲裁委员会】您的案件已受理，仲裁费请缴至账号 0200 0012 3456 7890 123，详见 www.bjac.org.cn。"},
     {"CONTENT_BANK_CARD", "LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("account-of-the-body-itself", {"text": "【深圳国际仲裁院】仲裁费请汇至本院账户，户名：深圳国际仲裁院，账号 4000 0212 0910 0123 456，详询0755-83501700。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PAYEE_NOT_BODY"}, NOT_FLAGGED),
    ("hierarchy-word-is-not-a-name", {"text": "用户对仲裁结果不满意的，可以向上级仲裁机构提出申诉吗？"},
     set(), {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    # --- a government body's sites lie under gov.cn by rule (国办函〔2018〕55号), known domain or not
    ("government-body-link-off-gov-cn", {"text": "【12315】您的消费纠纷已转入仲裁程序，请于今日内登录 12315-tiaojie.com 确认调解方案，逾期将影响个人信用。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- a legal notice linking under a TLD where phishing sites cluster (.top, .xyz, .icu …)
    ("abused-tld-in-a-legal-notice", {"text": "【仲裁通知】您有一份仲裁文书待签收，请于今日登录 http://wenshu-qianshou.icu/d/8812 查看。"},
     {"LINK_ABUSED_TLD", "LINK_UNKNOWN_DOMAIN"}, set(), FLAGGED),
    ("abused-tld-in-a-shop-advert", {"text": "双十二大促，全场五折起，详情见 http://shop-sale.top/1212 ，退订回T"},
     {"LINK_ABUSED_TLD"}, set(), NOT_FLAGGED),
    ("ordinary-tld-in-a-legal-notice-weighs-less", {"text": "【仲裁通知】您有一份仲裁文书待签收，请于今日登录 http://wenshu-qianshou.com/d/8812 查看。"},
     {"LINK_UNKNOWN_DOMAIN"}, {"LINK_ABUSED_TLD"}, NOT_FLAGGED),
    # --- a host written in Chinese characters after a scheme is a link (an internationalised name)
    ("han-host-in-the-bodys-name", {"text": "【北京仲裁委员会】您的案件已受理，请登录 http://北京仲裁委员会.com/case 查看答辩材料。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_PUNYCODE"}, {"LINK_NONE"}, FLAGGED),
    ("han-host-with-a-chinese-tld", {"text": "【广州仲裁委员会】请于3日内登录https://广州仲裁.中国提交身份证照片。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_PUNYCODE"}, {"LINK_NONE"}, FLAGGED),
    ("government-body-link-under-zhengwu", {"text": "【国家反诈中心】提醒：凡自称“网络仲裁委员会”要求转账的都是诈骗，详见 http://国家反诈中心.政务/zs 。"},
     set(), {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, NOT_FLAGGED),
    ("government-body-link-under-gov-cn", {"text": "【国家反诈中心】提醒：凡自称“网络仲裁委员会”要求转账的都是诈骗。反诈知识请见 https://fzzx.mps.gov.cn/zs 。"},
     set(), {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, NOT_FLAGGED),
    ("caution-in-the-conditional", {"text": "【北京仲裁委员会】提醒：本会不会索要验证码。如有人以“网络仲裁委员会”“仲裁专员”名义要求转账，请拨打96110或110报警。本会官网 www.bjac.org.cn。"},
     {"CONTENT_NEGATED_WARNING", "LINK_OFFICIAL"}, {"BODY_KNOWN_FAKE", "CONTENT_VERIFICATION_CODE"}, NOT_FLAGGED),
    ("conditional-caution-then-the-scam", {"text": "【北京仲裁委员会】如有人以本会名义联系您，请添加本会专员微信 bjac_help01 核实。"},
     {"CONTENT_NEGATED_WARNING", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    # --- set 11 probes: a channel no check can attribute keeps an official-looking notice from likely_genuine
    ("answer-by-reply-is-not-an-official-channel", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。同意调解请回复“确认”。"},
     {"LINK_OFFICIAL", "CASE_PREFIX_MATCH"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("do-not-reply-is-not-a-reply-channel", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。本短信由系统发送，请勿回复。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, set(), {"likely_genuine"}),
    ("english-reply-yes", {"text": "HKIAC: the hearing in HKIAC/A25118 is fixed for 3 March. Please reply YES to confirm. www.hkiac.org", "lang": "en"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("program-named-without-quotes", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。微信搜索小程序贸仲在线办理。"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("number-in-chinese-numerals", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。请联系书记员：一三九一二三四五六七八。"},
     {"LINK_OFFICIAL", "CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),  # read since edition -60
    ("payment-app-to-a-name", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。请使用云闪付向张伟转账。"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("messenger-group", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。请加入案件QQ群 765432123 查看材料。"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("fee-to-a-lawyer-by-title", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。仲裁费可通过微信转账给李律师。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("id-photo-sent-to-this-number", {"text": "【中国国际经济贸易仲裁委员会】您的案件（2025）中国贸仲京裁字第0911号已立案，请于15日内提交答辩书。咨询电话010-82217788，官网 www.cietac.org。请将身份证正反面拍照发给本号码。"},
     {"CONTENT_ID_DETAILS"}, set(), FLAGGED),
    ("bring-id-in-person-is-not-sending-it", {"text": "【杭州仲裁委员会】定于2025年12月22日上午9:00开庭，请携带身份证件原件准时参加。网址：www.hzarbitration.org.cn"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_ID_DETAILS"}, {"likely_genuine"}),
    ("foreign-mobile-as-callback", {"text": "【澳門世界貿易中心仲裁中心】閣下的仲裁案件已立案，請致電案件主任 +853 6612 3456 查詢。中心電話 +853 2875 2088。"},
     {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("open-redirect-on-the-official-site", {"text": "【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org/jump?url=https%3A%2F%2Fgzac-case.top%2Flogin 查看。"},
     {"LINK_OFFICIAL", "CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_OBFUSCATED"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("redirect-within-the-official-site", {"text": "【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org/sso?service=https://case.gzac.org/list 查看。"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    # a link a copy replaced with [链接]/[Link]: told, never counted against the notice
    ("link-placeholder-only", {"text": "【广州仲裁委员会】您的案件已受理，请点击[链接]查看仲裁文书。", "sender": "10690123456"},
     {"LINK_PLACEHOLDER", "BODY_REGISTERED"}, {"LINK_NONE", "LINK_UNKNOWN_DOMAIN", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"unverified"}),
    ("link-placeholder-english", {"text": "HKIAC: your case documents are ready, view them here: [Link]"},
     {"LINK_PLACEHOLDER"}, {"LINK_NONE"}, {"unverified"}),
    ("link-placeholder-traditional-brackets", {"text": "【廣州仲裁委員會】您的案件已受理，請點擊【鏈接】查看。", "sender": "+86 138 1234 5678"},
     {"LINK_PLACEHOLDER", "SENDER_PERSONAL_MOBILE"}, {"LINK_NONE"}, NOT_FLAGGED | FLAGGED),
    ("link-placeholder-beside-an-official-link", {"text": "【广州仲裁委员会】您的案件已受理，请登录 www.gzac.org 查阅，或点击[链接]。"},
     {"LINK_PLACEHOLDER", "LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, {"unverified"}),  # the other link may be anyone's
    ("link-placeholder-at-the-start-is-no-signature", {"text": "[链接] 您的案件已受理，请查看。", "sender": "13812345678"},
     {"LINK_PLACEHOLDER"}, {"SENDER_SIGNATURE_TYPED"}, NOT_FLAGGED | FLAGGED),
    # javascript:, data:, file: links were dropped without a word (no host to read): told, and
    # weighed as a legal notice's form never is
    ("javascript-link-in-a-notice", {"text": "【广州仲裁委员会】您的案件已受理，请点击 javascript:location.href='//a.b' 查看仲裁文书。"},
     {"LINK_NOT_WEB"}, {"LINK_NONE"}, FLAGGED),
    ("javascript-link-given-split-by-a-tab", {"text": "【广州仲裁委员会】您的案件已受理，请查看文书。", "links": ["java\tscript:alert(1)"]},
     {"LINK_NOT_WEB"}, {"LINK_NONE"}, FLAGGED),
    ("data-and-file-links-given-alone", {"links": ["data:text/html;base64,PHNjcmlwdD4=", " FILE:///C:/case.html"]},
     {"LINK_NOT_WEB"}, {"LINK_NONE"}, NOT_FLAGGED),
    ("scheme-words-in-prose-are-no-links", {"text": "Learn JavaScript: the good parts. data: 2024 figures; file: 合同.pdf"},
     {"LINK_NONE"}, {"LINK_NOT_WEB"}, NOT_FLAGGED),
    ("javascript-in-a-developer-chat-is-no-notice", {"text": "前端培训：用 javascript:void(0) 阻止链接跳转，周六上课。"},
     {"LINK_NOT_WEB"}, set(), NOT_FLAGGED),
    ("bracketed-word-is-no-link-placeholder", {"text": "[通知] 您的快递已到驿站，请凭取件码领取。"},
     {"LINK_NONE"}, {"LINK_PLACEHOLDER"}, NOT_FLAGGED),
    ("hk-mobile-without-852-after-traditional-call-word", {"text": "【香港國際仲裁中心】閣下為案件 HKIAC/A26203 之被申請人，詳情請瀏覽 www.hkiac.org。如有疑問請致電 5123 4567 聯絡個案主任。"},
     {"LINK_OFFICIAL", "CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),  # a Hong Kong mobile, +852 left out
    ("hk-fps-id-and-mobile-in-a-tribunal-notice", {"text": "小額錢債審裁處通知：閣下欠款HK$8,000，請於三日內以轉數快繳付至FPS ID 1234567，查詢請致電 6123 4567。"},
     {"CONTENT_FPS_PAYEE", "CONTENT_CALLBACK_MOBILE"}, {"CONTENT_BANK_CARD"}, NOT_FLAGGED | FLAGGED),
    ("hk-landline-without-852-is-no-mobile", {"text": "【香港國際仲裁中心】閣下之案件 HKIAC/A26203 已排期，詳情請瀏覽 www.hkiac.org 或致電 2525 2381。"},
     {"LINK_OFFICIAL"}, {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED),  # a line we cannot attribute
    ("hk-reference-number-is-no-phone", {"text": "【香港國際仲裁中心】閣下之申請已收到，參考編號 51234567，詳情請瀏覽 www.hkiac.org。"},
     {"LINK_OFFICIAL"}, {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("mainland-eight-digits-stay-unread", {"text": "【广州仲裁委员会】您的案件已受理，请致电 88886666 咨询。"},
     set(), {"CONTENT_CALLBACK_MOBILE", "CONTENT_FPS_PAYEE", "CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED),
    ("mainland-street-named-hong-kong-stays-unread", {"text": "青岛香港中路营业厅：您的宽带已开通，客服电话 58886666。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),  # 香港 in simplified script is no Hong Kong notice
    ("money-to-an-unread-number", {"text": "HKIAC: you are the respondent in HKIAC/A26041. Documents: www.hkiac.org. To settle, pay HKD 5,000 via FPS to 98765432 (Chan Tai Man).", "lang": "en"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    # --- set 12: traditional script, OCR'd screenshots, real commissions with a personal channel, adverts
    ("threat-to-tell-family-and-employer", {"text": "【广州仲裁委员会】您的借款纠纷已受理，请于7日内处理，逾期将通知您的家属及雇主。官网 www.gzac.org"},
     {"CONTENT_THREAT_CONTACTS", "CONSISTENCY_ALL_OFFICIAL"}, set(), FLAGGED),  # a threat is no channel
    ("threat-to-tell-relatives-with-a-visit", {"text": "【天津仲裁委员会】若3日内不处理，本会将派员前往您的户籍所在地调查，并通知您的直系亲属。"},
     {"CONTENT_THREAT_CONTACTS", "CONTENT_THREAT_HOME_VISIT"}, set(), FLAGGED),
    ("fee-to-a-titled-persons-account", {"text": "【北京仲裁委员会】请于3日内向李志强先生账户 6222 0212 3456 7890 123 缴付仲裁保证金。官网 www.bjac.org.cn"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("english-pay-a-titled-person", {"text": "SIAC: your case ARB 0412/26 is pending. Pay SGD 800 by PayNow to Mr Tan today to avoid a default award. www.siac.org.sg", "lang": "en"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("fee-to-a-handler-by-role-and-name", {"text": "【杭州仲裁委员会】（2025）杭仲裁字第1609号案件请通过云闪付向经办人周建华转账仲裁费1,800元。网址 www.hzarbitration.org.cn"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("fee-with-thousands-separator-to-a-handler", {"text": "【成都仲裁委员会】请支付仲裁费3,200元至承办人王先生，咨询电话028-86715847。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("name-and-id-number-by-reply", {"text": "【重庆仲裁委员会】您有一份仲裁文书待送达，请回复本短信您的姓名和身份证号码核实身份。www.cqac.org.cn"},
     {"CONTENT_ID_DETAILS"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("card-number-with-its-reserved-phone", {"text": "【厦门仲裁委员会】您的案件已结案，预缴费用可退还，请提供银行卡号及银行预留手机号码办理退费。"},
     {"CONTENT_CARD_DETAILS"}, set(), FLAGGED),
    ("bank-says-reserved-phone-changed", {"text": "【招商银行】您尾号1234的银行卡预留手机号已变更，如非本人操作请致电95555。", "sender": "95555"},
     set(), {"CONTENT_CARD_DETAILS"}, NOT_FLAGGED),
    ("ocr-letter-l-between-digits-of-the-official-phone", {"text": "【深圳国际仲裁院】开庭通知已邮寄，请查收。咨询电话0755-8350l700，网址www.scia.com.cn"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("hk-account-holder-romanised-name", {"text": "【香港國際仲裁中心】閣下之仲裁案件需繳付按金HK$2,000，請存入滙豐銀行戶口 123-456789-888（戶口持有人：CHAN TAI MAN）。www.hkiac.org"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_BANK_CARD"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("hk-account-holder-is-the-centre", {"text": "【香港國際仲裁中心】仲裁費請存入本中心戶口，戶口持有人：Hong Kong International Arbitration Centre Limited。www.hkiac.org"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("supervised-account-in-traditional-script", {"text": "【司法院】台端帳戶涉及洗錢，請將存款轉入法院監管帳戶以證明清白，詳情請洽書記官。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("caution-there-is-no-supervised-account", {"text": "【司法院】提醒您：法院不會以電話要求民眾匯款，亦無「監管帳戶」。如有疑問請撥165查證。司法院網站 www.judicial.gov.tw"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("atm-instalment-script", {"text": "【中華民國仲裁協會】台端之分期付款設定錯誤，請於今日至ATM操作解除分期，否則每月將重複扣款。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("bank-says-set-pin-at-an-atm", {"text": "【工商银行】您的借记卡已激活，可在ATM设置密码后使用，如有疑问请致电95588。", "sender": "95588"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("shop-refund-to-designated-account", {"text": "【淘宝】您的退款已退至指定账户，请注意查收。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("game-advert-for-points", {"text": "【某某游戏】购买游戏点数享9折优惠，点卡储值更划算！"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("game-points-as-a-fee", {"text": "【中華民國仲裁協會】台端仲裁案需繳納規費，請至便利商店購買遊戲點數5,000元並回傳序號。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("fee-to-a-law-firm", {"text": "【北京仲裁委员会】请将仲裁费汇至北京某某律师事务所，账号 1100 2233 4455 6677 889，汇款后截图发给承办人。"},
     {"CONSISTENCY_PAYEE_NOT_BODY", "CONTENT_BANK_CARD"}, set(), FLAGGED),
    ("court-reports-payment-to-the-applicant", {"text": "【深圳市福田区人民法院】（2025）粤0304执1234号案件执行款已转至申请人深圳某某科技有限公司，本案执行完毕。", "sender": "12368"},
     set(), {"CONSISTENCY_PAYEE_NOT_BODY"}, NOT_FLAGGED),
    ("threat-to-send-people-home-with-a-mobile", {"text": "北京仲裁委员会：你网贷逾期已被起诉，马上处理，不然派人去你老家，速联系13812345678。"},
     {"CONTENT_THREAT_HOME_VISIT", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("threat-to-childrens-schooling", {"text": "【北京仲裁委员会】如拒不履行将影响您子女上学及考公，请联系专员13912345678处理。"},
     {"CONTENT_THREAT_CREDIT", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("lawyers-advert-with-own-mobile", {"text": "李律师团队：专业代理劳动仲裁、工伤赔偿、欠薪追讨，免费咨询 13811112222。"},
     {"CONTENT_SERVICE_OFFER"}, {"CONTENT_CALLBACK_MOBILE"}, {"unverified"}),
    ("advert-words-in-a-notice-keep-the-callback", {"text": "【广州仲裁委员会】您的借款纠纷已立案，欢迎来电咨询承办人 13922223333。"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- the thirteenth independent set: forwarded collection messages, cautions, spelled-out domains
    ("caution-fees-never-through-a-person", {"text": "【北京仲裁委员会】仲裁费标准见 https://www.bjac.org.cn ，本会不经由个人账户收取费用。"},
     {"CONTENT_NEGATED_WARNING", "CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"likely_genuine"}),
    ("warning-impostor-verb-mid-sentence", {"text": "公安提醒：最近有骗子团伙冒充仲裁中心群发短信，请勿点击其中链接。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_KNOWN_FAKE"}, {"unverified"}),
    ("official-domain-hyphenated-across-registered-label", {"text": "【北京仲裁委员会】请核对案件信息 http://bjac-org.cn.top/pay"},
     {"LINK_EMBEDDED_OFFICIAL"}, {"LINK_UNKNOWN_DOMAIN", "CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("court-domain-hyphenated-no-body", {"text": "您有电子文书未查收：sd-court-gov.cn.top/d"},
     {"LINK_EMBEDDED_OFFICIAL"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("collector-threatens-banner-at-work", {"text": "再拖着不还，我们就去你单位门口挂横幅，让全单位都知道你欠钱不还。"},
     {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("english-threat-to-all-her-contacts", {"text": "Tell your sister to pay today, or her loan record goes to all her contacts."},
     {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("caution-never-took-personal-accounts", {"text": "【武汉仲裁委员会】本会从未以任何形式收取个人账户转账，严禁向个人账户缴费，咨询027-59510888。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"likely_genuine"}),
    ("conditional-not-through-a-person-is-no-caution", {"text": "【仲裁中心】若不通过个人账户缴纳保证金，今日将冻结名下所有银行卡。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_FREEZE_ACCOUNTS"}, set(), SCAM),
    ("collector-shames-in-a-group-chat", {"text": "还不还？不还就把你的欠款截图发到你们公司群里，大家都看看。"},
     {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("photos-posted-to-a-group-is-no-threat", {"text": "昨天聚会的照片我发到群里了，大家自己下载吧。"},
     set(), {"CONTENT_THREAT_CONTACTS"}, {"unverified"}),
    ("official-landline-with-hyphenated-extension", {"text": "【深圳国际仲裁院】案件秘书联系电话：0755-83501700-8206，请于工作时间致电。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("other-landline-with-extension-is-not-official", {"text": "【深圳国际仲裁院】案件秘书联系电话：020-66889900-312。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("english-threat-to-call-co-workers", {"text": "Settle the loan now or we call your co-workers one by one."},
     {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    # --- the fifteenth independent set: scams that borrow credit and legal words, and the real bodies
    ("credit-centre-own-platform", {"text": "【中国人民银行征信中心】您申请的信用报告已可查看，请登录 https://ipcrs.pbccrc.org.cn 获取。"},
     {"BODY_SUB_BRAND", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL", "CONTENT_THREAT_CREDIT"}, {"likely_genuine"}),  # 征信 is in its name
    ("credit-centre-own-number", {"text": "【人民银行征信中心】您的异议申请已处理完毕，如有疑问请致电400-810-8866。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("credit-centre-hyphenated-lookalike", {"text": "您的征信报告有异常查询记录，请在 pbccrc-check.com 核实。"},
     {"LINK_LOOKALIKE"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("bank-reports-to-central-bank-with-own-site", {"text": "【建设银行】您的信用卡已逾期，逾期记录将报送中国人民银行征信系统，请登录 https://www.ccb.com 还款。"},
     {"BODY_REGISTERED"}, {"CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),  # the central bank is where records go
    ("regulator-predecessor-short-name", {"text": "【银保监会】您的投诉已受理，详情请致电 4008-123-456。"},
     {"BODY_REGISTERED", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("cancel-campus-loan-account", {"text": "您好，我是某金融平台客服，您大学时注册的校园贷账户需要注销，否则影响征信。"},
     {"CONTENT_CANCEL_LURE"}, set(), FLAGGED),
    ("student-account-to-adult-account", {"text": "您的学生账户需升级为成人账户，请添加客服QQ处理。"},
     {"CONTENT_CANCEL_LURE"}, set(), FLAGGED),
    ("million-protection-starts-charging", {"text": "【抖音支付】您的百万保障免费期已结束，下月起每月扣费980元，不需要请回电取消。"},
     {"CONTENT_CANCEL_LURE"}, set(), FLAGGED),
    ("million-protection-caution", {"text": "百万保障完全免费，不会到期，也不会扣费。"},
     set(), {"CONTENT_CANCEL_LURE"}, {"unverified"}),
    ("university-closes-graduate-accounts", {"text": "【XX大学】毕业生校园卡及学生账户将于7月31日注销，请及时处理卡内余额。"},
     set(), {"CONTENT_CANCEL_LURE"}, {"unverified"}),
    ("quoted-scheme-named-as-fraud", {"text": "近期多发“关闭百万保障”诈骗，请市民提高警惕。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_CANCEL_LURE"}, {"unverified"}),
    ("loan-frozen-pay-to-release", {"text": "您的贷款已审批通过，因银行卡信息有误资金被冻结，需缴纳解冻费1500元。"},
     {"CONTENT_ADVANCE_FEE"}, set(), FLAGGED),
    ("deposit-before-payout", {"text": "恭喜您获得5万元额度，放款前需先支付10%验资金。"},
     {"CONTENT_ADVANCE_FEE"}, set(), FLAGGED),
    ("lender-says-no-fee-before-payout", {"text": "【京东金融】放款前无需支付任何费用，请勿相信任何要求先交钱的人。"},
     set(), {"CONTENT_ADVANCE_FEE"}, {"unverified"}),
    ("police-impostor-laundering-fund-check", {"text": "我是市公安局的，你的银行卡涉嫌洗钱，需要配合资金核查。"},
     {"CONTENT_CRIME_ACCUSATION"}, set(), FLAGGED),
    ("english-laundering-accusation", {"text": "Your bank card was used for money laundering. Cooperate with the investigation."},
     {"CONTENT_CRIME_ACCUSATION"}, set(), FLAGGED),
    ("bank-anti-laundering-id-update", {"text": "尊敬的客户，您好，根据反洗钱相关规定，请您于3月31日前更新身份证件有效期。"},
     set(), {"CONTENT_CRIME_ACCUSATION"}, {"unverified"}),
    ("illegal-interest-refund-offer", {"text": "根据最新政策，您在网贷平台超额收取的利息可以帮您申请退还，手续费仅需200元。"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("borrow-then-transfer", {"text": "请把额度借出来转到我们提供的账户做流水验证。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("clearing-account", {"text": "为证明清白，请把存款转入国家清查账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("account-number-and-password", {"text": "请提供你的银行账户及密码以便核对。"},
     {"CONTENT_CARD_DETAILS"}, set(), FLAGGED),
    ("english-news-about-safe-accounts", {"text": "Police warned the public about callers who demand transfers to a safe account."},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"unverified"}),
    ("caution-do-not-download-or-share", {"text": "请不要下载陌生人发来的会议软件，也不要开启屏幕共享。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_SCREEN_SHARE", "CONTENT_INSTALL_APP"}, {"unverified"}),
    ("caution-do-not-believe-credit-repair", {"text": "我在征信中心官网查了自己的报告，一年两次免费，别信那些说能修复征信的。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_DEBT_RELIEF_SERVICE"}, NOT_FLAGGED),
    ("credit-repair-offer-that-says-do-not-believe-the-bank", {"text": "您的征信有逾期，我们可以帮您修复征信，手续费500元，别信银行说的。"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    # --- the fourteenth independent set: other dispute bodies (labour, mediation, notaries, 12315) and imitations
    ("12315-platform-on-its-own-domain", {"text": "【全国12315平台】您的投诉已由西湖区市场监督管理局受理，可登录 www.12315.cn 查看进度。", "sender": "12315"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, {"likely_genuine"}),
    ("12315-platform-domain-as-a-piece", {"text": "【12315】您的理赔已登记，请登录 12315-lipei.com 填写银行卡号领取赔偿。"},
     {"LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("gov-cn-worn-by-another-host", {"text": "【劳动保障监察】您的欠薪补偿金已到账，请在 ldbz-gov.cn.bt-pay.cc 登记领取。"},
     {"LINK_EMBEDDED_OFFICIAL"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("gov-cn-hyphenated-into-the-registered-label", {"text": "【广州互联网法院】赔偿金待领取，请点击 http://gzcourt.gov.cn-pay.cc/auth 认证。"},
     {"LINK_EMBEDDED_OFFICIAL"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("gov-word-in-an-ordinary-host", {"text": "本周政务科技峰会报名请访问 http://govtech-summit.com/signup"},
     set(), {"LINK_EMBEDDED_OFFICIAL"}, NOT_FLAGGED),
    ("arbitration-court-mixed-name", {"text": "【互联网仲裁法院】您的借款纠纷案已立案，请登录 hlw-zc.cn 查看起诉材料。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("arbitration-court-bare-signature", {"text": "【仲裁法院】您的案件已立案，请尽快联系书记员处理。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("permanent-court-of-arbitration-in-the-news", {"text": "海牙常设仲裁法院今日就该案作出裁决，双方均表示尊重。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, {"unverified"}),
    ("deposit-with-a-word-between", {"text": "【仲裁通知】您的借款纠纷已立案，请于三日内缴纳应诉保证金3000元，否则视为放弃抗辩。"},
     {"CONTENT_PAYMENT_DEMAND"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("credit-repair-in-the-other-word-order", {"text": "您名下的网贷逾期案件已转入调解，我们可协助注销账户并修复征信，详询客服。"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("consumer-association-named-for-a-refund-with-screen-sharing", {"text": "【中国消费者协会】您的快递丢失理赔已审核，请下载“消保通”APP并开启屏幕共享，客服将指导到账。"},
     {"BODY_LAWFUL_PATTERN", "CONTENT_SCREEN_SHARE", "CONTENT_INSTALL_APP"}, set(), FLAGGED),
    ("mediation-centre-after-its-organiser", {"text": "【上海银行业纠纷调解中心】您好，您与某银行信用卡分期纠纷的调解申请已受理，调解员将于三个工作日内与您联系，调解免费。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_NON_BODY"}, NOT_FLAGGED),
    ("mediation-centre-after-a-city-alone", {"text": "【鹰潭调解中心】您的欠款已进入调解程序，请于今日将还款转入调解专户以便结案。"},
     {"BODY_NON_BODY"}, {"BODY_NOT_ADJUDICATOR"}, FLAGGED),
    ("mediation-centre-after-a-court-name", {"text": "【朝阳区人民法院诉前调解中心】如需暂缓起诉，请先向调解专用账户存入诚意金2000元。"},
     {"BODY_NON_BODY", "BODY_LAWFUL_PATTERN"}, {"BODY_NOT_ADJUDICATOR"}, FLAGGED),
    ("peoples-mediation-committee-is-a-named-body", {"text": "【柯桥区福全街道人民调解委员会】您申请调解的相邻通行纠纷定于6月12日下午2点在街道综治中心调解室进行调解，请准时参加。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("labour-arbitration-fee-demanded", {"text": "【朝阳区劳动人事争议仲裁委员会】您的仲裁申请已受理，请于三日内缴纳仲裁受理费300元，逾期视为撤回申请。"},
     {"CONTENT_FEE_FOR_FREE_PROCEDURE"}, set(), FLAGGED),
    ("land-arbitration-fee-demanded", {"text": "【临泉县农村土地承包仲裁委员会】您的土地纠纷仲裁案已受理，仲裁受理费800元请于本周内交至经办人处缴纳。"},
     {"CONTENT_FEE_FOR_FREE_PROCEDURE"}, set(), FLAGGED),
    ("peoples-mediation-fee-demanded", {"text": "【福全街道人民调解委员会】您申请的邻里纠纷调解需缴纳调解费200元，请扫码支付。"},
     {"CONTENT_FEE_FOR_FREE_PROCEDURE"}, set(), FLAGGED),
    ("labour-commission-says-it-charges-nothing", {"text": "【海淀区劳动人事争议仲裁委员会】您的案件已受理。劳动争议仲裁不收费，请勿相信任何要求缴纳“仲裁费”“加急费”的电话。"},
     set(), {"CONTENT_FEE_FOR_FREE_PROCEDURE"}, NOT_FLAGGED),
    ("worker-asks-whether-labour-arbitration-costs", {"text": "请问申请劳动仲裁需要缴纳仲裁费吗？"},
     set(), {"CONTENT_FEE_FOR_FREE_PROCEDURE"}, NOT_FLAGGED),
    ("funds-notarisation-into-a-designated-account", {"text": "【公证处】您的资产需办理资金公证，请于今日将存款转入指定公证账户，逾期冻结。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND", "CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("refund-into-the-account-you-chose", {"text": "【淘宝】您的退款将转入您指定的账户，请注意查收。"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("refund-only-after-a-deposit", {"text": "【12315】您的投诉已受理，退款需先缴纳保证金300元至指定账户。"},
     {"CONTENT_ADVANCE_FEE"}, set(), FLAGGED),
    ("award-paid-out-after-a-deposit", {"text": "【北京互联网法院】您的网购纠纷已调解，请先缴纳诉讼保证金500元后即可领取赔偿款。"},
     {"CONTENT_ADVANCE_FEE"}, set(), FLAGGED),
    ("shop-refund-after-the-goods-come-back", {"text": "【淘宝】退款需先退回商品，商家签收后原路退回。"},
     set(), {"CONTENT_ADVANCE_FEE"}, NOT_FLAGGED),
    ("fee-to-an-unnamed-designated-account", {"text": "【全国12315平台】您的投诉需核实身份，请缴纳工本费20元至指定账户。"},
     {"CONTENT_PAYMENT_DEMAND"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("body-names-its-own-designated-account", {"text": "【深圳国际仲裁院】仲裁费请汇至本院指定账户，户名：深圳国际仲裁院，详询0755-83501700。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PAYEE_NOT_BODY"}, {"likely_genuine"}),
    ("national-word-before-a-court-is-no-place", {"text": "【中国互联网法院】您的借款纠纷案已立案，请登录 hlwfy.net 查看起诉状。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("city-financial-court-is-lawful", {"text": "【北京金融法院】您的案件已立案，请登录人民法院在线服务查看。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("mediation-committee-of-scam-words", {"text": "【网络调解委员会】您的欠款已进入诉前调解，今日不处理将上报征信。"},
     {"BODY_NON_BODY"}, {"BODY_LAWFUL_PATTERN", "BODY_NOT_ADJUDICATOR"}, FLAGGED),
    ("company-labour-mediation-committee", {"text": "【某某科技有限公司劳动争议调解委员会】您申请的调解定于周三下午在公司会议室进行。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_NON_BODY", "BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("peoples-mediation-committee-without-organiser", {"text": "【人民调解委员会】您在某平台的分期借款已委托我委调解，请于今日下午5点前添加调解员QQ 2873349012。"},
     {"BODY_NON_BODY"}, {"BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("peoples-mediation-committee-as-advice", {"text": "邻里纠纷可以找人民调解委员会免费调解。"},
     set(), {"BODY_NON_BODY", "BODY_LAWFUL_PATTERN"}, {"unverified"}),
    ("chat-handle-is-no-official-channel", {"text": "【12315】您的理赔已审核通过，请添加客服QQ 2873349012 领取赔偿。"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- internet courts: their own sites, and the national court channels every court uses (the
    # 人民法院在线服务 mini-program, 12368, the delivery platform under court.gov.cn); imitations of them
    ("internet-court-own-site-and-12368", {"text": "【杭州互联网法院】王某某，您好！原告某某科技有限公司诉您网络服务合同纠纷一案（(2025)浙0192民初5821号）已立案，请登录杭州互联网法院诉讼平台查看起诉状，咨询请拨打12368。", "sender": "12368", "links": ["https://www.netcourt.gov.cn"]},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("internet-court-sends-to-the-national-mini-program", {"text": "【杭州互联网法院】（2025）浙0192民初8765号网络购物合同纠纷一案将于7月25日10时在线开庭，请提前登录“人民法院在线服务”小程序进入庭审。", "sender": "12368"},
     {"BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_APP_NOT_OFFICIAL", "SENDER_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("internet-court-sends-to-the-national-delivery-platform", {"text": "【北京互联网法院】李某，您好，(2025)京0491民初11203号案件的传票已送达，请登录 https://zxfw.court.gov.cn 查收，或通过北京互联网法院电子诉讼平台（www.bjinternetcourt.gov.cn）查看。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("internet-court-without-a-known-site-names-12368", {"text": "【广州互联网法院】您好，您的(2025)粤0192民初3390号案件已作出判决，判决书已送达至您的“人民法院在线服务”账户，请登录微信小程序查看，咨询12368。", "sender": "12368"},
     {"BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_APP_NOT_OFFICIAL", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("internet-court-landline-of-its-city", {"text": "【杭州互联网法院】您好，您的(2025)浙0192民初7745号案件已立案，如有疑问请致电0571-88880000。"},
     {"BODY_REGISTERED"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONSISTENCY_CITY_MISMATCH", "CONSISTENCY_ALL_OFFICIAL"},
     {"unverified"}),  # its phone is not sourced: not faulted, not confirmed
    ("internet-court-lookalike-domain", {"text": "【杭州互联网法院】您涉及的网络购物合同纠纷一案已判决，请点击 netcourt-gov.top 查看判决书。"},
     {"LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("internet-court-site-on-another-suffix", {"text": "【北京互联网法院】您的案件已立案，请登录 bjinternetcourt.com 查看起诉状。"},
     {"LINK_LOOKALIKE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, set(), FLAGGED),
    ("internet-court-clerk-on-a-personal-mobile", {"text": "【北京互联网法院】您的案件已立案，书记员电话 13812345678，请尽快联系处理。", "sender": "13812345678"},
     {"CONTENT_CALLBACK_MOBILE", "SENDER_PERSONAL_MOBILE"}, {"CONSISTENCY_ALL_OFFICIAL", "SENDER_OFFICIAL"}, FLAGGED),
    ("internet-court-deposit-to-a-clerk", {"text": "【杭州互联网法院】您的借款纠纷已立案，请于今日内缴纳应诉保证金2000元至书记员个人账户 6222021001123456789，户名王芳，详询12368。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND"}, {"CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("internet-court-mini-program-of-another-name", {"text": "【广州互联网法院】您的案件已立案，请微信搜索“法院在线服务中心”小程序缴纳诉讼费。"},
     {"CONSISTENCY_APP_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("internet-arbitration-court-is-invented", {"text": "【互联网仲裁法院】您的(2025)互仲字第06631号借款纠纷案已立案，请登录 hlw-zcfy.cn 查看并缴纳应诉保证金3000元。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_REGISTERED", "BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("consumer-council-forwards-a-complaint", {"text": "【广州市消费者委员会】您的投诉已转至被投诉企业处理，企业将在7个工作日内与您联系，如未联系请拨打12315反映。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    # --- payment platforms and lenders that scams name: not adjudicators; their own channels are theirs,
    # a look-alike of their site or a callback that is not theirs is evidence in a threat
    ("platform-lookalike-site", {"text": "您好，您的花呗、借呗因违规操作已被风控，将影响个人征信。请登录 https://alipay-zx.com.cn/unfreeze 解除限制。", "sender": "10691234567"},
     {"LINK_LOOKALIKE", "BODY_NOT_ADJUDICATOR"}, {"BODY_REGISTERED", "LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("platform-bill-from-its-number", {"text": "【支付宝】您的花呗本月应还1,536.20元，还款日为10日，请确保余额充足，逾期将影响信用。", "sender": "95188"},
     {"BODY_NOT_ADJUDICATOR", "SENDER_OFFICIAL"}, {"BODY_REGISTERED", "CONSISTENCY_PHONE_NOT_OFFICIAL", "SENDER_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("lender-reminder-names-its-own-number", {"text": "【微众银行】您的微粒贷借款本期应还2,150.00元，已逾期1天，为避免影响征信请及时还款，客服95384。"},
     {"BODY_NOT_ADJUDICATOR"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL", "BODY_REGISTERED"}, NOT_FLAGGED),
    ("lender-one-time-code", {"text": "【微众银行】您的验证码为836412，5分钟内有效，请勿泄露给他人。", "sender": "95384"},
     {"BODY_NOT_ADJUDICATOR"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("lender-freeze-threat-other-callback", {"text": "【微粒贷】您的微粒贷账户因长期未使用被判定为异常，将于今日冻结并上传征信，请致电 0755-8369-0241 解除。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL", "BODY_NOT_ADJUDICATOR"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("payment-platform-cancel-lure-other-callback", {"text": "【微信支付】您开通的“百万保障”即将到期自动续费，每月扣费398元，如未开通请致电 0591-87326615 客服取消。", "sender": "+8617340219963"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL", "SENDER_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("platform-in-ordinary-message-with-a-mobile", {"text": "钱我用支付宝转你了，收到回个话，有事打我电话13912345678。"},
     {"BODY_NOT_ADJUDICATOR"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL", "SENDER_NOT_OFFICIAL"}, {"unverified"}),
    ("made-up-body-lender-debt-other-callback", {"text": "【网络仲裁委员会】您在借呗的欠款已立案，请致电 0755-83690241 处理。"},
     {"BODY_KNOWN_FAKE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("lender-number-does-not-confirm-arbitration", {"text": "【支付宝】您的借呗已逾期90天，我司已向仲裁委员会申请仲裁，请尽快处理，详询95188。", "sender": "95188"},
     {"BODY_NOT_ADJUDICATOR", "SENDER_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"unverified"}),
    ("commission-notice-links-a-lenders-site", {"text": "【北京仲裁委员会】您与借呗的借款纠纷已受理，请登录 https://www.alipay.com 查看案件材料。"},
     {"BODY_REGISTERED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("court-freezes-a-platform-account", {"text": "【深圳市福田区人民法院】（2024）粤0304执1234号案件，本院已依法冻结你在支付宝的资金，请及时与执行法官联系 0755-83000000。"},
     {"BODY_LAWFUL_PATTERN", "BODY_NOT_ADJUDICATOR"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("lender-has-no-arbitration-centre", {"text": "【支付宝仲裁中心】您的花呗逾期已立案，请今日联系专员处理。"},
     set(), {"BODY_LAWFUL_PATTERN", "BODY_REGISTERED"}, FLAGGED),
    # --- the sixteenth set: links and sender numbers in the forms they really take
    ("sender-full-width-mobile", {"text": "【广州仲裁委员会】您有未处理的仲裁案件，请访问 http://gzac-case.cn 查询。", "sender": "１３８００１３８０００"},
     {"SENDER_PERSONAL_MOBILE"}, {"SENDER_UNPARSEABLE"}, FLAGGED),
    ("sender-ascii-mobile-near-miss", {"text": "【深圳国际仲裁院】您的案件已受理，请登录 https://online.scia.com.cn 查阅。", "sender": "10690755258316"},
     {"SENDER_SERVICE_PORT", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_PERSONAL_MOBILE", "SENDER_UNPARSEABLE"}, {"likely_genuine"}),
    ("callback-86-without-plus", {"text": "【深圳国际仲裁院】仲裁通知已送达，请登录https://online.scia.com.cn。如需帮助请致电86-755-25831663。", "sender": "10690755258316"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("callback-86-without-plus-other-number", {"text": "【深圳国际仲裁院】仲裁通知已送达，请登录https://online.scia.com.cn。如需帮助请致电86-755-12345678。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("sender-trunk-zero-in-brackets", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://online.cietac.org 查阅。", "sender": "+86 (0)10 8221 7788"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("callback-em-dash-mobile", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，如有疑问请致电138—0013—8000（王专员）。"},
     {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("callback-em-dash-landline", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，如有疑问请致电010—82217788。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("sender-area-code-and-12368", {"text": "【北京市朝阳区人民法院】您好，您有一条新的案件信息，请注意查收诉讼材料。", "sender": "010-12368"},
     {"SENDER_OFFICIAL"}, {"SENDER_UNPARSEABLE"}, NOT_FLAGGED),
    # the Zhejiang courts' 12368 SMS port (a court's own 2015 rules) is a court sender; a port one digit off is not
    ("sender-zhejiang-courts-12368-port", {"text": "【杭州市西湖区人民法院】您好，您有（2025）浙0106民初1234号案件定于下周开庭，请准时到庭。", "sender": "106352712368"},
     {"SENDER_OFFICIAL", "SENDER_SERVICE_PORT"}, {"SENDER_NOT_OFFICIAL"}, NOT_FLAGGED),
    # a registered sender is official only for the bodies (and the province) it is registered for
    ("zhejiang-courts-port-for-a-shandong-court", {"text": "【山东省济南市中级人民法院】您好，您有（2025）鲁01民初1234号案件定于下周开庭，请准时到庭。", "sender": "106352712368"},
     {"SENDER_OTHER_BODY", "SENDER_SERVICE_PORT"}, {"SENDER_OFFICIAL", "SENDER_NOT_OFFICIAL"}, FLAGGED),
    ("zhejiang-courts-port-for-a-listed-court-elsewhere", {"text": "【北京互联网法院】您好，您的案件定于下周在线开庭，请准时参加。", "sender": "106352712368"},
     {"SENDER_OTHER_BODY"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("zhejiang-courts-port-for-a-court-by-city", {"text": "【宁波市鄞州区人民法院】您好，您的案件定于下周开庭，请准时到庭。", "sender": "106352712368"},
     {"SENDER_OFFICIAL"}, {"SENDER_OTHER_BODY"}, NOT_FLAGGED),
    # a court whose province cannot be read: the Zhejiang port is neither confirmed nor another's
    ("zhejiang-courts-port-court-of-unknown-place", {"text": "【人民法院】您有一份诉讼文书待签收，请注意查收。", "sender": "106352712368"},
     {"SENDER_SERVICE_PORT"}, {"SENDER_OFFICIAL", "SENDER_OTHER_BODY"}, NOT_FLAGGED),
    ("zhejiang-courts-port-district-of-many-provinces", {"text": "【鼓楼区人民法院】您有一份诉讼文书待签收，请登录 https://zxfw.court.gov.cn 查看。", "sender": "106352712368"},
     {"LINK_OFFICIAL"}, {"SENDER_OFFICIAL", "SENDER_OTHER_BODY", "CONSISTENCY_ALL_OFFICIAL"}, {"unverified"}),
    # the case number's high-court code places the court: 浙 fits the Zhejiang port, 粤 does not
    ("zhejiang-courts-port-placed-by-case-number", {"text": "【鼓楼区人民法院】（2025）浙0102民初12345号案件的诉讼文书已送达，请登录 https://zxfw.court.gov.cn 查看。", "sender": "106352712368"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_OTHER_BODY"}, {"likely_genuine"}),
    ("zhejiang-courts-port-guangdong-case-number", {"text": "【鼓楼区人民法院】（2025）粤0304民初12345号案件的诉讼文书已送达，请登录 https://zxfw.court.gov.cn 查看。", "sender": "106352712368"},
     {"SENDER_OTHER_BODY"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # the courts' line named as what to call does not speak for a made-up body, nor make 12368 its sender
    ("fake-body-names-12368-as-line-to-call", {"text": "【网络仲裁委员会】您的借款纠纷已立案，详情请咨询12368诉讼服务热线。", "sender": "12368"},
     {"BODY_KNOWN_FAKE", "SENDER_OTHER_BODY"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, SCAM),
    ("court-names-12368-as-line-to-call", {"text": "【北京市朝阳区人民法院】您有一份诉讼文书待签收，如有疑问请拨打12368诉讼服务热线。", "sender": "12368"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_OTHER_BODY"}, {"likely_genuine"}),
    ("courts-line-sends-a-commissions-notice", {"text": "【广州仲裁委员会】您的案件已受理，请登录 www.gzac.org 查阅。", "sender": "12368"},
     {"SENDER_OTHER_BODY"}, {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("anti-fraud-line-sends-a-fee-demand", {"text": "【广州仲裁委员会】您的案件已受理，请缴纳仲裁费。", "sender": "12381"},
     {"SENDER_OTHER_BODY"}, {"SENDER_OFFICIAL"}, FLAGGED),
    ("courts-line-for-a-made-up-body", {"text": "【网络仲裁委员会】您的案件已立案，请联系处理。", "sender": "12368"},
     {"SENDER_OTHER_BODY", "BODY_KNOWN_FAKE"}, {"SENDER_OFFICIAL"}, FLAGGED),
    ("courts-line-court-cites-a-commissions-award", {"text": "【广州市天河区人民法院】申请执行人依据广州仲裁委员会（2024）穗仲案字第10387号裁决书向本院申请强制执行，本院已立案。", "sender": "12368"},
     {"SENDER_OFFICIAL"}, {"SENDER_OTHER_BODY"}, NOT_FLAGGED),
    ("anti-fraud-line-warns-of-a-commissions-name", {"text": "【12381涉诈预警】您好，您的手机号近期接收到疑似冒充广州仲裁委员会的诈骗短信，请勿点击其中链接、勿向陌生账户转账。", "sender": "12381"},
     {"SENDER_OFFICIAL"}, {"SENDER_OTHER_BODY"}, NOT_FLAGGED),
    ("courts-line-names-no-body", {"text": "您有一份诉讼文书待签收，请注意查收。", "sender": "12368"},
     {"SENDER_OFFICIAL"}, {"SENDER_OTHER_BODY"}, NOT_FLAGGED),
    ("commissions-number-for-another-commission-is-said-once", {"text": "【武汉仲裁委员会】您好，您的案件已受理。", "sender": "010-82217788"},
     {"CONSISTENCY_OTHER_BODY_NUMBER"}, {"SENDER_OFFICIAL", "SENDER_OTHER_BODY"}, FLAGGED),
    ("sender-port-one-digit-off-the-courts", {"text": "【杭州市西湖区人民法院】您好，您有（2025）浙0106民初1234号案件定于下周开庭，请准时到庭。", "sender": "106352712369"},
     {"SENDER_SERVICE_PORT"}, {"SENDER_OFFICIAL"}, NOT_FLAGGED),
    ("callback-95-number-with-extension", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件即将开庭，如需撤诉请回电95013-8866。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED | FLAGGED),
    ("email-sender-official-domain", {"text": "Shenzhen Court of International Arbitration: the notice of arbitration is attached. Case materials: https://online.scia.com.cn/Account/Login", "sender": "arb@scia.com.cn", "channel": "email"},
     {"SENDER_EMAIL_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"SENDER_ALPHANUMERIC", "SENDER_EMAIL", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("email-sender-free-mailbox", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://online.cietac.org 查阅。", "sender": "cietac_notice@163.com", "channel": "email"},
     {"SENDER_EMAIL", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL", "SENDER_EMAIL_REGISTERED"}, FLAGGED),
    ("email-sender-another-bodys-domain", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://online.cietac.org 查阅。", "sender": "arb@scia.com.cn", "channel": "email"},
     {"SENDER_EMAIL_REGISTERED", "CONSISTENCY_EMAIL_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("email-sender-lookalike-domain", {"text": "CIETAC: you are the respondent in an arbitration. Download the attached case viewer.", "sender": "notice@cietac-arbitration.net", "channel": "email"},
     {"SENDER_EMAIL_LOOKALIKE"}, {"SENDER_EMAIL", "SENDER_EMAIL_REGISTERED"}, FLAGGED),
    ("backslash-hides-the-host", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://cietac-case.cn\\@cietac.org 查阅。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("slash-path-after-official-host", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://online.cietac.org/case/@login 查阅。"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("defanged-colon-in-brackets", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 hxxps[:]//cietac-org[.]cn 查阅。"},
     {"LINK_LOOKALIKE", "LINK_OBFUSCATED"}, {"LINK_OFFICIAL"}, FLAGGED),
    ("lookalike-neighbours-swapped", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://ceitac.org 查阅。"},
     {"LINK_LOOKALIKE"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("short-acronym-neighbours-swapped-is-another", {"text": "【大庆仲裁委员会】您的仲裁案件已受理，请登录 https://dqac.org.cn 查阅。"},
     set(), {"LINK_LOOKALIKE"}, NOT_FLAGGED),
    ("lookalike-www-glued", {"text": "【中国国际经济贸易仲裁委员会】您的仲裁案件已受理，请登录 https://wwwcietac.org 查阅。"},
     {"LINK_LOOKALIKE"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("lookalike-three-letter-name-and-suffix", {"text": "American Arbitration Association: your consumer case requires payment of the filing balance at adr-org.help/pay today."},
     {"LINK_LOOKALIKE"}, {"LINK_UNKNOWN_DOMAIN"}, FLAGGED),
    ("three-letter-name-glued-is-anyones", {"text": "American Arbitration Association: the consumer rules are at adr.org/consumer; our firm's notes are at https://adrcn.com."},
     set(), {"LINK_LOOKALIKE"}, NOT_FLAGGED | FLAGGED),
    ("wechat-contact-in-an-ordinary-notice", {"text": "各位业主好，小区新规定：快递请放丰巢柜，有问题联系物业 0755-8888 6666 或微信 wuye_0755。", "sender": "+86 135 5555 6666"},
     {"CONTENT_CALLBACK_MOBILE"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("wechat-handle-to-pay-through", {"text": "喂，你老公喺我哋平台借咗两万蚊，拖咗三个月。畀钱嘅话加微信gz-shou888。", "sender": "16566668888"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("meeting-link-in-a-school-message", {"text": "各位家长好，明天上午9点家长会改为线上，腾讯会议链接：https://meeting.tencent.com/dm/AbCdEf123 ，会议号 123 456 789，班主任电话 139-1234-5678。", "sender": "+86 139 1234 5678"},
     {"CONTENT_MEETING_APP"}, {"CONTENT_SCREEN_SHARE"}, NOT_FLAGGED),
    ("meeting-app-in-a-legal-notice", {"text": "【北京仲裁委员会】您的借款纠纷已立案，请下载腾讯会议，输入会议号 123 456 789 与案件专员视频核实身份。"},
     {"CONTENT_MEETING_APP"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- names read whole when a word in front holds a stop character; invented courts judged
    ("online-prefix-read-whole", {"text": "【在线调解仲裁中心】您的网贷纠纷已立案，请联系调解员处理。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    ("big-data-prefix-read-whole", {"text": "【大数据仲裁中心】您的网贷纠纷已立案，请今日内处理。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    # both of the Wuhan commission's sites are sourced (the city's pages name whac.org.cn, its own pages wiac.org.cn)
    ("wuhan-commission-city-named-site", {"text": "【武汉仲裁委员会】您与某小额贷款公司借款合同纠纷一案已受理，请在10日内登录 www.whac.org.cn 查看证据材料并提交答辩意见。"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("preposition-before-a-named-commission", {"text": "【北京仲裁委员会】您在线上提交的仲裁申请已受理，请登录 https://www.bjac.org.cn 查看。"},
     {"BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, {"likely_genuine"}),
    ("invented-mediation-court", {"text": "【全国调解法院】您的网贷纠纷已立案，请今日联系调解员 13800138000 处理。"},
     {"BODY_IMPOSSIBLE_NAME", "CONTENT_CALLBACK_MOBILE"}, {"BODY_NONE", "BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("invented-court-with-a-place", {"text": "【北京网络借贷法院】您的借款纠纷已立案。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("courts-at-large-platform", {"text": "【北京市朝阳区人民法院】您有一份诉讼文书，请登录全国法院统一送达平台 https://zxfw.court.gov.cn 查看。", "sender": "12368"},
     {"BODY_LAWFUL_PATTERN", "LINK_OFFICIAL"}, {"BODY_IMPOSSIBLE_NAME", "BODY_UNRECOGNISED"}, NOT_FLAGGED),
    # --- scheme-relative links are links
    ("scheme-relative-link-judged", {"text": "【北京仲裁委员会】您的案件已立案，请登录 //bjac-case.cn/q 查看并缴费。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"LINK_NONE", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("scheme-relative-official-link", {"text": "【北京仲裁委员会】您的案件已受理，请登录 //www.bjac.org.cn 查看。"},
     {"LINK_OFFICIAL"}, {"LINK_NONE", "CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),
    # --- a landline without its trunk 0, as a sender and as a number to call
    ("sender-landline-without-trunk-zero", {"text": "【武汉仲裁委员会】您好，您的案件已受理，详询027-59510888。", "sender": "1082217788"},
     {"CONSISTENCY_OTHER_BODY_NUMBER", "SENDER_LANDLINE"}, {"SENDER_UNPARSEABLE", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("callback-landline-without-trunk-zero", {"text": "【武汉仲裁委员会】您好，您的案件已受理，请致电1082217788咨询。"},
     {"CONSISTENCY_OTHER_BODY_NUMBER"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("digit-run-without-call-label-is-no-number", {"text": "【北京仲裁委员会】您的案件已受理，受理编号1082217788，请登录 https://www.bjac.org.cn 查看。"},
     {"CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_OTHER_BODY_NUMBER", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),
    # --- the reader's own account frozen by a court is no payee; money sent to an account still is
    ("court-freezes-own-alipay", {"text": "【深圳市福田区人民法院】（2024）粤0304执1234号案件，你未按执行通知书履行义务，本院将依法冻结你名下支付宝账户及微信账户，请及时与执行法官联系。"},
     {"CASE_NUMBER_OK", "BODY_LAWFUL_PATTERN"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("court-freezes-your-alipay-account-en", {"text": "Shenzhen Futian People's Court: you have not complied with the enforcement notice; the court will freeze your Alipay account."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED | FLAGGED),
    ("transfer-into-own-named-account", {"text": "【仲裁中心】请将资金转入您名下的个人账户进行核验，否则冻结你名下支付宝账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    # --- court-style case numbers: the internet courts' four-digit codes read; a code of another length is no court's
    ("internet-court-number-read", {"text": "【杭州互联网法院】您的（2025）浙0192民初1234号案件已立案，请登录 https://www.netcourt.gov.cn 查看。"},
     {"CASE_NUMBER_OK", "BODY_REGISTERED"}, {"CASE_NUMBER_MALFORMED"}, NOT_FLAGGED),
    ("court-number-with-a-three-digit-code", {"text": "【杭州互联网法院】您的（2025）浙192民初1234号借款纠纷已立案，请今日内联系书记员处理。"},
     {"CASE_NUMBER_MALFORMED"}, {"CASE_NUMBER_OK"}, NOT_FLAGGED | FLAGGED),
    # --- a sender shown as a name: proves nothing, but names whose channels the notice's must be
    ("display-name-sender-official-channels", {"text": "您的仲裁案件已受理，请登录 https://www.bjac.org.cn 查看。", "sender": "北京仲裁委员会"},
     {"SENDER_DISPLAY_NAME", "CONSISTENCY_ALL_OFFICIAL", "LINK_OFFICIAL"}, {"BODY_REGISTERED", "SENDER_ALPHANUMERIC"}, NOT_FLAGGED),
    ("display-name-sender-lookalike-link", {"text": "您的仲裁案件已受理，请登录 https://bjac-case.cn 缴纳仲裁费。", "sender": "北京仲裁委员会"},
     {"SENDER_DISPLAY_NAME", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL", "BODY_REGISTERED"}, FLAGGED),
    ("display-name-sender-short-form-other-number", {"text": "您好，您的仲裁案件已受理，详询 027-59510888。", "sender": "北京仲裁委"},
     {"SENDER_DISPLAY_NAME", "CONSISTENCY_OTHER_BODY_NUMBER"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("display-name-of-another-body", {"text": "【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org 查看。", "sender": "北京仲裁委员会"},
     {"CONSISTENCY_SENDER_NAME_OTHER_BODY", "BODY_REGISTERED"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("display-name-agrees-with-the-signature", {"text": "【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org 查看。", "sender": "广州仲裁委"},
     {"SENDER_DISPLAY_NAME", "BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_SENDER_NAME_OTHER_BODY"}, NOT_FLAGGED),
    ("display-name-of-a-fake-body", {"text": "您的网贷已逾期，今日不处理将上门调查。", "sender": "网络仲裁委员会"},
     {"SENDER_DISPLAY_NAME", "BODY_KNOWN_FAKE"}, set(), FLAGGED),
    ("display-name-that-names-no-body", {"text": "您的快递已到驿站，请凭取件码领取。", "sender": "Info"},
     {"SENDER_ALPHANUMERIC"}, {"SENDER_DISPLAY_NAME"}, NOT_FLAGGED),
    ("pay-from-own-alipay-to-an-officer", {"text": "【仲裁中心】请用您的支付宝账户转账给专员完成调解。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    # --- the seventeenth set: words written past keyword filters, bodies named but not speaking
    ("asterisk-splits-a-two-character-word", {"text": "【全国网络仲*裁中心】您的借款案件已受理，请于今日内处理。"},
     {"BODY_KNOWN_FAKE"}, {"BODY_NONE"}, FLAGGED),
    ("emoji-splits-a-two-character-word", {"text": "【互联网仲🔸裁院】您的网贷纠纷已受理，请联系专员。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    ("homophone-of-arbitration-in-fake-name", {"text": "【中国金融仲才院】您的网贷纠纷已受理，请及时处理。"},
     {"BODY_KNOWN_FAKE"}, {"BODY_NONE"}, FLAGGED),
    ("homophone-of-arbitration-before-suffix", {"text": "【冲裁委】您的借款已逾期，案件已受理，请及时处理。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    ("punching-die-is-no-arbitration", {"text": "本厂专业生产冲裁模具、冲裁件加工，欢迎来电 0512-66668888。"},
     {"BODY_NONE"}, {"BODY_IMPOSSIBLE_NAME", "CONTENT_LEGAL_NOTICE"}, {"unverified"}),
    ("neutral-adjudication-is-no-body", {"text": "仲裁员应当居中裁判，不偏不倚。"},
     {"BODY_NONE"}, {"BODY_IMPOSSIBLE_NAME"}, {"unverified"}),
    ("court-variant-character-read-as-court", {"text": "【深圳市福田区人民法阮】您的执行案件已立案，请联系执行法官。"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_NONE"}, NOT_FLAGGED),
    ("hyphen-inside-a-key-word", {"text": "【网络仲-裁委员会】您的借款纠纷已立案，请今日处理。"},
     {"BODY_KNOWN_FAKE"}, {"BODY_NONE"}, FLAGGED),
    ("pinyin-mixed-into-fake-name", {"text": "【wang络zhong裁委员会】您的借款纠纷已立案。"},
     {"BODY_KNOWN_FAKE"}, {"BODY_NONE"}, FLAGGED),
    ("whole-pinyin-before-suffix", {"text": "【zhongcai委员会】您的借款纠纷已立案。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    ("pinyin-initials-before-suffix", {"text": "【zc委】您的借款纠纷已立案。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_NONE"}, FLAGGED),
    ("initials-inside-a-mailbox-stay", {"text": "我的邮箱是 zc2025@163.com，仲裁的材料发这里。"},
     {"BODY_NONE"}, {"BODY_IMPOSSIBLE_NAME"}, {"unverified"}),
    ("wechat-written-vx", {"text": "【仲裁中心】您的网贷已逾期，加ｖｘ：abc12345 处理欠款。"},
     {"CONTENT_CALLBACK_MOBILE", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("prestige-is-no-wechat", {"text": "老王在村里很有威信，大家有纠纷都找他调解。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, {"unverified"}),
    ("courier-receipt-for-mail-to-a-commission", {"text": "【顺丰速运】您寄往中国国际经济贸易仲裁委员会的文件已签收，查看详情请访问 https://www.sf-express.com 。", "sender": "106900595338"},
     {"BODY_REGISTERED"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "SENDER_NOT_OFFICIAL"}, {"unverified"}),
    ("body-signed-and-named-as-destination-still-speaks", {"text": "【北京仲裁委员会】请将答辩材料寄往北京仲裁委员会，并登录 bjac-case.com 缴纳费用。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("writer-uses-the-courts-platform", {"text": "我在用“人民法院在线服务”小程序起诉那个欠款人，挺方便的。", "sender": "13712340000"},
     {"BODY_SUB_BRAND"}, {"SENDER_NOT_OFFICIAL"}, {"unverified"}),
    ("reader-told-to-pay-through-the-platform", {"text": "请您通过“人民法院在线服务”小程序缴纳诉讼费，逾期按撤诉处理。", "sender": "13712340000"},
     {"SENDER_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # shared online documents and file shares as a court's or commission's channel
    ("unlisted-commission-serves-by-cloud-document", {"text": "【贵阳仲裁委员会】您的借款纠纷已受理，请打开 https://www.kdocs.cn/l/cAbCdE 查看答辩须知并填写还款意向。", "sender": "106901234567"},
     {"CONSISTENCY_SHARED_DOCUMENT", "BODY_LAWFUL_PATTERN"}, set(), FLAGGED),
    ("district-court-award-in-a-cloud-drive", {"text": "【杭州市西湖区人民法院】您的案件判决书见 pan.baidu.com/s/1AbCdE 提取码 x8k2。", "sender": "106901234567"},
     {"CONSISTENCY_SHARED_DOCUMENT"}, set(), FLAGGED),
    ("listed-commission-tencent-doc-named-as-such", {"text": "【北京仲裁委员会】您的案件材料见 https://docs.qq.com/doc/DAbCdEf ，请于3日内阅读。", "sender": "106901234567"},
     {"CONSISTENCY_SHARED_DOCUMENT"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("tutor-schedule-in-a-tencent-doc", {"text": "本周数学辅导时间表已更新，详见 https://docs.qq.com/sheet/DQ2xhc3NUaW1l ，有冲突请在表格里备注。", "sender": "13812341234"},
     set(), {"CONSISTENCY_SHARED_DOCUMENT"}, {"unverified"}),
    ("consumer-council-survey-in-a-tencent-form", {"text": "【某市消费者协会】您好，请填写消费维权满意度问卷 https://docs.qq.com/form/page/DAbC123 ，谢谢。", "sender": "106901234567"},
     set(), {"CONSISTENCY_SHARED_DOCUMENT"}, NOT_FLAGGED),
    ("commission-official-platform-is-no-shared-document", {"text": "【深圳国际仲裁院】您的案件已受理，请登录 https://online.scia.com.cn 查看仲裁通知。", "sender": "1069012340000"},
     {"LINK_OFFICIAL"}, {"CONSISTENCY_SHARED_DOCUMENT"}, NOT_FLAGGED),
    # --- the regulators' sourced lines (edition -60): the central bank's 12363, the justice ministry's 12348
    ("central-bank-complaint-line", {"text": "【中国人民银行】您反映的金融消费投诉已受理，处理结果将在15个工作日内告知，如有疑问请拨打12363咨询。"},
     {"BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("central-bank-number-containing-12363", {"text": "【中国人民银行】您的金融消费投诉需补充材料，请致电 0871-12363888。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("justice-ministry-legal-service-line", {"text": "【司法部】您申请的法律援助已受理，如有疑问请拨打12348公共法律服务热线。"},
     {"BODY_REGISTERED", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("justice-ministry-platform-name-own-site", {"text": "【12348中国法网】您的法律咨询已有律师回复，请登录 http://www.12348.gov.cn 查看。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL"}, {"likely_genuine"}),
    ("justice-ministry-platform-name-imitated-site", {"text": "【12348中国法网】您的法律咨询已有律师回复，请登录 12348-gov.cn 查看。"},
     {"BODY_REGISTERED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("justice-ministry-line-beside-a-mobile", {"text": "【司法部】您有一笔仲裁欠款未处理，请联系12348专员 13912345678 处理，否则冻结账户。"},
     {"CONTENT_CALLBACK_MOBILE", "CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("commission-points-to-the-legal-service-line", {"text": "【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org 查看。如对收费有疑问，可拨打12348公共法律服务热线咨询。"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),  # a public line, as 12378
    # the police's SMS alarm number (edition -61): a public number a genuine warning gives; a number wearing it is not it
    ("anti-fraud-line-points-to-police-sms", {"text": "【96110反诈预警劝阻专线】您好，您可能正在遭遇冒充仲裁机构的诈骗，请勿转账。如不便通话，可发送短信至12110报警。", "sender": "96110"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),
    # an area code and a short number in the international form (+86 551 96110 is Hefei's 0551-96110) is the short number
    ("anti-fraud-line-in-international-area-form", {"text": "【96110反诈预警劝阻专线】您好，您可能正在遭遇冒充仲裁机构的诈骗，请勿转账。如有疑问可拨打+86 551 96110咨询。", "sender": "96110"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("sender-plus86-area-code-and-12368", {"text": "【北京市朝阳区人民法院】您好，您有一条新的案件信息，请注意查收诉讼材料。", "sender": "+86 10 12368"},
     {"SENDER_OFFICIAL"}, {"SENDER_UNPARSEABLE", "SENDER_NOT_OFFICIAL"}, NOT_FLAGGED),
    # its area-code forms (12110 + the code's last three digits, or Hebei's whole code) were SENDER_UNPARSEABLE
    ("police-sms-reply-from-the-area-form", {"text": "【深圳市公安局】您的短信报警已收到，民警将尽快与您联系，请注意安全。", "sender": "12110755"},
     {"SENDER_OFFICIAL"}, {"SENDER_UNPARSEABLE"}, NOT_FLAGGED),
    ("warning-gives-the-hebei-area-form", {"text": "【96110反诈预警劝阻专线】您好，您可能正在遭遇冒充仲裁机构的诈骗，请勿转账。如不便通话，可发送短信至121100311报警。", "sender": "96110"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("police-name-with-a-number-containing-12110", {"text": "【110报警服务台】您的银行账户涉嫌洗钱，请立即拨打 0311-12110888 配合资金核查。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL", "CONTENT_CRIME_ACCUSATION"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # --- the bare word 征信 is no credit threat (edition -54): the central bank's own replies carry it; a threat to the record does
    ("pboc-objection-accepted", {"text": "【中国人民银行征信中心】您的征信异议申请已受理，我们将在20日内回复处理结果。", "sender": "12363"},
     {"SENDER_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_THREAT_CREDIT"}, {"likely_genuine"}),
    ("bank-says-early-repayment-leaves-credit-alone", {"text": "【工商银行】您的贷款已全部结清，提前还款不会影响您的征信记录。客服95588。", "sender": "95588"},
     set(), {"CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("credit-blacklist-threat", {"text": "【网络仲裁中心】您的借款纠纷已立案，逾期未处理将纳入征信黑名单，请联系专员处理。"},
     {"CONTENT_THREAT_CREDIT", "BODY_KNOWN_FAKE"}, set(), FLAGGED),
    ("credit-report-threat-after-a-deadline", {"text": "【金融仲裁委员会】您的欠款已进入仲裁程序，请于3日内处理，否则同步至征信及公安系统。"},
     {"CONTENT_THREAT_CREDIT"}, set(), FLAGGED),
    ("credit-harm-for-relatives", {"text": "【互联网金融调解中心】您的家人逾期未还，裁决后将影响直系亲属征信，请尽快联系处理。"},
     {"CONTENT_THREAT_CREDIT"}, set(), FLAGGED),
    # a fee to have a case withdrawn is the paid 停诉 trade; a commission saying withdrawal costs nothing is not
    ("fee-to-withdraw-a-case", {"text": "【金融调解中心】您的欠款案件可申请撤诉，请先缴纳撤诉代办费600元，办理后案件撤销。"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("commission-says-withdrawal-is-free", {"text": "【北京仲裁委员会】申请人已撤回仲裁申请，本会已作出撤案决定，撤案无需您缴纳任何费用，详见 https://www.bjac.org.cn 。", "sender": "10690012345"},
     {"LINK_OFFICIAL"}, {"CONTENT_DEBT_RELIEF_SERVICE"}, NOT_FLAGGED),
    # --- Alipay's Hong Kong site is its own (edition -55: its wallet agreement names www.alipay.hk); alipay.cn has no source and stays a look-alike
    ("alipay-links-its-hong-kong-site", {"text": "【支付宝】您的AlipayHK钱包服务协议已更新，详情请查看 https://www.alipay.hk 。"},
     {"LINK_OFFICIAL"}, {"LINK_LOOKALIKE"}, NOT_FLAGGED),
    ("alipay-hyphenated-hong-kong-copy", {"text": "【支付宝】您的账户存在异常，请登录 https://alipay-hk.com 解除限制。"},
     {"LINK_LOOKALIKE"}, {"LINK_OFFICIAL"}, FLAGGED),
    # --- a fee paid by scanning a code in the message is a payment demand (edition -56); a warning against it is not
    ("unlisted-commission-asks-to-pay-by-qr", {"text": "【揭阳仲裁委员会】您作为被申请人的合同纠纷一案已受理，请扫码缴费以便案件处理。", "sender": "10690012345"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_QR_CODE"}, set(), FLAGGED),
    ("qr-code-to-pay-the-acceptance-fee", {"text": "【揭阳仲裁委员会】您的借款合同纠纷一案已受理，请于收到本通知后扫描二维码支付案件受理费，以免影响案件处理。", "sender": "10690012345"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("commission-warns-against-paying-by-qr", {"text": "【广州仲裁委员会】提醒：本会不会通过短信要求扫码缴费，请勿扫码支付，详见 https://www.gzac.org 。", "sender": "10690012345"},
     {"LINK_OFFICIAL"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # --- a digit replied as consent to pay (edition -44); a notice that warns against paying by reply is no such request
    ("reply-digit-to-pay", {"text": "【中国网络仲*裁委】您的案件已立案，回复1确认并缴费", "sender": "10690012345"},
     {"CONTENT_PRESS_KEY", "BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("reply-digit-to-allow-a-debit", {"text": "【网络仲裁中心】您的借款案件已立案，回复2同意从绑定银行卡扣款结案。", "sender": "17012345678"},
     {"CONTENT_PRESS_KEY", "BODY_KNOWN_FAKE"}, set(), {"likely_scam"}),
    ("commission-warns-against-paying-by-reply", {"text": "【北京仲裁委员会】您的案件材料已寄出，请登录 https://www.bjac.org.cn 查看；如需缴费，请通过官网办理，切勿回复本短信付款。", "sender": "10690012345"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONTENT_PRESS_KEY"}, {"likely_genuine"}),
    # --- the nineteenth set: remote-control apps by name, card codes and coins as payment, case chat groups,
    # consent by a digit, the village committee told, and the third party narrating their own call
    ("remote-control-app-by-name", {"text": "【仲裁办案中心】您的借款案件明日开庭，请先安装AnyDesk并把设备码发给书记员。", "sender": "16512345678"},
     {"CONTENT_SCREEN_SHARE"}, set(), FLAGGED),
    ("office-remote-support-by-name", {"text": "IT通知：周五下班后统一给行政部电脑装补丁，会用TeamViewer远程操作，请大家别关机。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"unverified"}),
    ("shopping-card-codes-sent-back", {"text": "【仲裁调解处】撤诉费需今日缴清：请购买沃尔玛购物卡5张，将卡号和密码拍照发给调解员。", "sender": "17112345678"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("shop-delivers-card-code", {"text": "【某商城】您购买的礼品卡已发货，卡密已发送至您的邮箱，请妥善保管。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("fee-in-cryptocurrency", {"text": "【国际仲裁庭】本案执行押金须以比特币缴纳，收款地址稍后由秘书发送。", "sender": "+6581234567"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("coin-named-in-chat", {"text": "同事在研究泰达币和人民币的汇率，我劝他别碰，小心被骗。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("money-into-a-clearing-account", {"text": "【资金清查中心】您涉及一起仲裁案件，须将银行卡余额汇入核查专户，核验后退回。", "sender": "17012340000"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("checking-an-account-is-a-verb", {"text": "财务下午要核查账户余额，报销单明早再提交吧。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("legal-fee-to-the-writer", {"text": "张先生，我是仲裁院的书记员，您的案子下周开庭，撤诉费3000元先转到我的支付宝，我帮您撤掉。", "sender": "13512345678"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("rent-deposit-to-the-landlord", {"text": "小王，下个月起押金和房租都转到我的支付宝就行，不用再跑银行了。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("case-handled-in-a-chat-group", {"text": "【仲裁委】您的逾期案件已转调解，请于今晚前加入微信债务调解群 5512 3388 9，群内签署调解书。", "sender": "17012345678"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("parents-chat-group", {"text": "各位家长好，请加入二年级三班家长微信群，群号 6621 0385 7，入群请备注孩子姓名。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("reply-digit-to-accept-mediation", {"text": "【调解中心】你的欠款已申请仲裁，回复1接受调解，回复2直接开庭。", "sender": "10655012345"},
     {"CONTENT_PRESS_KEY"}, set(), FLAGGED),
    ("commission-asks-mediation-consent-on-its-platform", {"text": "【北京仲裁委员会】（2026）京仲裁字第1234号案件，如同意调解，请登录 https://www.bjac.org.cn 在线确认，本短信无需回复。", "sender": "10690012345"},
     {"LINK_OFFICIAL"}, {"CONTENT_PRESS_KEY"}, {"likely_genuine"}),
    ("village-committee-told", {"text": "【网贷仲裁处】你已严重逾期，三日内不处理将上门执行并联系你所在村委会。", "sender": "17112345678"},
     {"CONTENT_THREAT_CONTACTS", "CONTENT_THREAT_HOME_VISIT"}, set(), FLAGGED),
    ("community-offers-help", {"text": "街道通知：如家中有困难，可联系你的社区网格员申请临时救助。"},
     set(), {"CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("contact-narrates-being-named", {"text": "我表哥借网贷时留了我的号码当紧急联系人，昨天催收的人打给我让我转告他，我需要还吗？"},
     set(), {"CONTENT_EMERGENCY_CONTACT", "CONTENT_RELAY_REQUEST"}, NOT_FLAGGED),
    ("collector-tells-contact-they-were-named", {"text": "你好，我们核实到李强借款时填写的紧急联系人是你，他已逾期并被申请仲裁，请你转告他今天内还款。", "sender": "17012345678"},
     {"CONTENT_EMERGENCY_CONTACT", "CONTENT_RELAY_REQUEST"}, set(), FLAGGED),
    # a denial or warning in front of a scam's demand (无需, 请勿, will not, does not) is no demand; a demand
    # beside it (无需出庭只需缴纳…, …but you must pay) still is
    ("withdrawal-needs-no-deposit", {"text": "【某某仲裁委】您的案件已受理，撤案无需缴纳任何保证金，请以官网公布信息为准。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("warning-do-not-pay-by-scanning", {"text": "【某某仲裁委】请勿扫码支付，谨防诈骗。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_QR_CODE", "CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("no-need-to-give-card-password", {"text": "【某某仲裁委】本委无须您提供银行卡密码，也不用您下载任何APP。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_CARD_DETAILS", "CONTENT_INSTALL_APP"}, NOT_FLAGGED),
    ("english-denies-credit-harm", {"text": "Arbitration notice: this hearing does not affect your credit record."},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("english-warns-against-paying-personal-account", {"text": "Do not pay any deposit to a personal account."},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("no-hearing-only-a-deposit", {"text": "【仲裁委】无需到场只需缴纳保证金即可结案。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("withdrawal-needs-no-hearing-but-a-deposit", {"text": "【仲裁委】撤案无需出庭，但须先缴纳撤案保证金3000元。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("no-app-but-scan-to-pay", {"text": "【仲裁中心】无需下载APP，请扫码支付仲裁费。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_QR_CODE"}, {"CONTENT_INSTALL_APP"}, FLAGGED),
    ("english-no-fee-but-gift-card", {"text": "We will not charge you a fee but you must pay the settlement fee by gift card today."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("warning-do-not-transfer-or-enter-code", {"text": "【某某仲裁委】请勿转入所谓安全账户，请勿输入短信验证码。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_VERIFICATION_CODE"}, NOT_FLAGGED),
    ("english-denies-arrest-and-freeze", {"text": "Arbitration notice: you will not be arrested and the commission cannot freeze your accounts."},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_THREAT_ARREST", "CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("english-condition-is-no-denial", {"text": "If you do not pay today, your accounts will be frozen."},
     {"CONTENT_FREEZE_ACCOUNTS"}, {"CONTENT_NEGATED_WARNING"}, FLAGGED),
    ("no-paperwork-but-scan-to-pay-now", {"text": "【仲裁委】您的案件已立案，无需提供材料立即扫码缴费。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_QR_CODE"}, set(), FLAGGED),
    # a withdrawal offered to the reader for money or a call is a demand (edition -58); a case withdrawn or
    # treated as withdrawn is news, not an offer
    ("court-fee-unpaid-treated-as-withdrawn", {"text": "【最高人民法院】您的案件诉讼费可通过 https://zxfw.court.gov.cn 在线缴纳，请于7日内完成，逾期按撤诉处理。"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("commission-decided-withdrawal", {"text": "【北京仲裁委员会】申请人已撤回仲裁申请，本会已作出撤案决定书，可登录 https://www.bjac.org.cn 查阅。", "sender": "10690012345"},
     {"LINK_OFFICIAL"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("claimant-has-withdrawn", {"text": "您好，您与某公司的劳动争议案件，原告已撤诉，案件终结。"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("withdrawal-once-transferred", {"text": "【仲裁中心】您的欠款案件已立案，转账结清后即可撤案，联系经办人 13912345678。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("withdrawal-fee-named", {"text": "原告同意和解，但需你先支付撤诉费800元，收到后当日出具文书。", "sender": "17012345678"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("withdrawal-by-telling-the-code", {"text": "【仲裁调解中心】稍后您会收到验证码，请将验证码告知工作人员以完成撤案。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    # --- the twentieth set: the shapes texts arrive in (edition -60). A mark that splits one run splits
    # the pairs too; Chinese-digit phones; OCR's I, 合 and 曰; 不要求 as a denial; 上门取证, 通知村委, 24h内, 明天冻结
    ("split-run-then-split-pairs", {"text": "【网-络-仲-裁】你的欠款已被起-诉，不处理明天就冻-结名下账户。", "sender": "13912340000"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("hyphen-pair-without-a-run-is-a-word", {"text": "中-英对照的合同今天发你，冻结条款看第5条，有问题明天再说。", "sender": "13912340000"},
     set(), {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("phone-in-chinese-digits", {"text": "【仲裁中心】您的欠款纠纷已立案，请联系书记员 幺三九 一二三四 零零零零 处理。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("date-in-chinese-digits-is-no-phone", {"text": "本会定于二〇二六年三月五日召开年会，请各位委员准时参加。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("ocr-misreads-in-a-scam", {"text": "【仲裁委员合】请于今曰18时前联系承办人 I3912345678 处理，逾期将依法裁决。"},
     {"BODY_IMPOSSIBLE_NAME", "CONTENT_DEADLINE_HOURS", "CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("group-photo-and-a-model-name", {"text": "全体委员合影留念，抽奖送i7电脑一台，今天下午3点前到会议室领取。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("court-does-not-ask-for-the-code", {"text": "【上海市徐汇区人民法院】您的案件判决书已电子送达，本短信不要求您转账或提供验证码。", "sender": "12368"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_VERIFICATION_CODE"}, NOT_FLAGGED),
    ("not-asked-to-come-but-asked-for-the-code", {"text": "【仲裁中心】本中心不要求您到场，但须提供验证码完成身份核验。"},
     {"CONTENT_VERIFICATION_CODE"}, set(), FLAGGED),
    ("evidence-gathered-at-home-and-village-told", {"text": "您的网贷逾期未还，明日安排人员上门取证并通知村委。", "sender": "17012345678"},
     {"CONTENT_THREAT_HOME_VISIT", "CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("court-asks-the-village-committee-to-help-serve", {"text": "【杭州市西湖区人民法院】本院将通知村委会协助送达诉讼文书，请留意。", "sender": "12368"},
     set(), {"CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("court-has-a-refused-service-witnessed", {"text": "【杭州市西湖区人民法院】如您拒不签收，本院将通知村委会见证送达。", "sender": "12368"},
     set(), {"CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("collector-will-tell-the-local-village-committee", {"text": "【某某催收】逾期不处理，我们将通知当地村委会。", "sender": "10690123456"},
     {"CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("freeze-set-days-ahead", {"text": "您的账户将于三日内冻结，请尽快联系处理。", "sender": "10690123456"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("freeze-after-three-days-digits", {"text": "不处理3天后冻结您的银行卡。", "sender": "10690123456"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("court-gives-days-then-freezes-by-law", {"text": "【北京市朝阳区人民法院】限你于收到本通知之日起三日内履行义务，逾期本院将依法冻结、划拨你的存款。", "sender": "12368"},
     set(), {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("court-gives-days-then-freezes-by-law-no-comma", {"text": "【北京市朝阳区人民法院】请于三日内履行义务逾期依法冻结你的存款。", "sender": "12368"},
     set(), {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("court-fee-named-without-payee", {"text": "【北京市朝阳区人民法院】请于七日内预交诉讼保全费1200元，缴费方式见缴费通知书。", "sender": "12368"},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),  # kept: courts do ask for their fees
    ("village-committee-gives-notice", {"text": "村委通知：明天上午九点在村委会开会，讨论修路的事。", "sender": "13812345678"},
     set(), {"CONTENT_THREAT_CONTACTS", "CONTENT_THREAT_HOME_VISIT"}, NOT_FLAGGED),
    ("deadline-in-h", {"text": "【仲裁中心】请于24h内登录查看起诉书，逾期视为放弃答辩。", "sender": "17012345678"},
     {"CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("open-24h-is-no-deadline", {"text": "本店24h营业，外卖满30元免配送费。", "sender": "10690012345"},
     set(), {"CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("freeze-tomorrow", {"text": "你的欠款已被起诉，不联系明天就冻结你的银行卡。", "sender": "15012345678"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("unfrozen-tomorrow-is-no-threat", {"text": "【某某银行】您的账户冻结已解除，明天起可正常使用，如有疑问请致电客服。", "sender": "95555"},
     set(), {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    # English threats without a stock phrase (set 21, edition -61): arrest, a warrant, the visa, the university, the credit score,
    # cards frozen, money to the lawyer's account, a code by reply; and their descriptions in warnings
    ("english-will-be-arrested", {"text": "Online Arbitration Court: those who do not pay will be arrested at their residence.", "sender": "+8617150328841"},
     {"CONTENT_THREAT_ARREST"}, set(), FLAGGED),
    ("english-result-in-a-warrant", {"text": "High Court: failure to respond today will result in a warrant. Call the registry officer 6143 8820."},
     {"CONTENT_THREAT_ARREST"}, set(), FLAGGED),
    ("english-will-not-be-detained", {"text": "Arbitration notice: you will not be detained; the hearing is a civil matter."},
     set(), {"CONTENT_THREAT_ARREST"}, NOT_FLAGGED),
    ("english-visa-will-be-cancelled", {"text": "Loan Arbitration Centre: if not settled by tomorrow your visa will be cancelled and we will inform your university.", "sender": "+85251836472"},
     {"CONTENT_THREAT_STATUS", "CONTENT_THREAT_CONTACTS"}, set(), FLAGGED),
    ("english-visa-card-is-no-visa-threat", {"text": "Your Visa card will be renewed next month; we will inform you when it is posted."},
     set(), {"CONTENT_THREAT_STATUS", "CONTENT_THREAT_CONTACTS"}, NOT_FLAGGED),
    ("english-warning-names-visa-cancellation", {"text": "International Office: students received messages threatening visa cancellation unless they pay. These are scams; your visa can only be changed by immigration."},
     set(), {"CONTENT_THREAT_STATUS"}, NOT_FLAGGED),
    ("trad-immigration-threat", {"text": "小額錢債審裁處通知：閣下須於今日內付款，否則將通知入境處並取消簽證。", "sender": "+85296182203"},
     {"CONTENT_THREAT_STATUS"}, set(), FLAGGED),
    ("trad-immigration-denied", {"text": "仲裁是民事程序，不會取消簽證，也不會驅逐出境。"},
     set(), {"CONTENT_THREAT_STATUS"}, NOT_FLAGGED),
    ("english-credit-score-reduced", {"text": "Arbitration Court: your personal credit score will be reduced to zero tonight unless you clear the debt."},
     {"CONTENT_THREAT_CREDIT"}, set(), NOT_FLAGGED | FLAGGED),  # a credit threat alone weighs 15
    ("english-credit-record-in-a-reminder", {"text": "Reminder: your card payment is overdue. Please pay in the app to avoid a note on your credit record."},
     set(), {"CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("english-avoid-impact-on-credit", {"text": "Your loan is 3 days past due. Please repay promptly to avoid any impact on your credit."},
     set(), {"CONTENT_THREAT_CREDIT"}, NOT_FLAGGED),
    ("english-cards-frozen-tonight", {"text": "Arbitration notice: all bank cards frozen tonight unless you pay.", "sender": "+8617082115630"},
     {"CONTENT_FREEZE_ACCOUNTS"}, set(), FLAGGED),
    ("english-account-was-frozen-story", {"text": "My account was frozen last week after I lost my phone, the bank fixed it."},
     set(), {"CONTENT_FREEZE_ACCOUNTS"}, NOT_FLAGGED),
    ("english-pay-the-lawyers-account", {"text": "Your son is involved in an arbitration case. Transfer 15,000 RMB to the lawyer's account today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-reply-with-the-code", {"text": "Financial Arbitration Court: verify your identity by replying with the 6-digit code we sent."},
     {"CONTENT_VERIFICATION_CODE"}, set(), FLAGGED),
    ("english-beware-describes-the-threat", {"text": "Police: beware of fake court messages demanding payment or threatening arrest. Courts do not collect money by SMS."},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_THREAT_ARREST"}, NOT_FLAGGED),
    ("english-fraudsters-describe-the-scam", {"text": "Bank alert: fraudsters pretending to be courts may ask you to share your screen or transfer to a safe account."},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_SCREEN_SHARE", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-beware-of-delays-then-pay", {"text": "Beware of delays, pay the fee to the officer's account today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONTENT_NEGATED_WARNING"}, FLAGGED),  # not a fake or a scam to beware of
    # a caution covers what it warns of, not an instruction after a comma in the same sentence
    ("english-fraudsters-caution-then-transfer", {"text": "Fraudsters may impersonate us, transfer the deposit to the officer's account 6222 0210 0112 3456 789 today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_BANK_CARD"}, {"CONTENT_NONE"}, FLAGGED),
    ("english-scammers-pose-then-pay-the-fee", {"text": "Scammers often pose as court staff, pay the fee of HKD 5,000 to Mr Chan now."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONTENT_NONE"}, FLAGGED),
    ("english-fraudsters-list-of-what-they-do", {"text": "Fraudsters may call you, share your screen, install apps or ask you to transfer money to a safe account."},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_SCREEN_SHARE"}, NOT_FLAGGED),
    ("english-warning-then-wire-the-fee", {"text": "We warn you about fake court messages, wire the fee to the clerk's account 6222 0210 0112 3456 789."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_BANK_CARD"}, {"CONTENT_NONE"}, FLAGGED),
    ("caution-posing-then-deposit-to-a-handler", {"text": "谨防不法分子冒充本会，将保证金转至经办人个人账户6222021001123456789。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_BANK_CARD"}, {"CONTENT_NONE"}, FLAGGED),
    ("caution-posing-then-pay-now", {"text": "近期有人冒充仲裁委，立即缴纳保证金至个人账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONTENT_NONE"}, FLAGGED),
    ("caution-posing-describes-the-demand", {"text": "近期有不法分子冒充仲裁委，要求转账到安全账户，均属诈骗。"},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-fraudsters-used-your-id", {"text": "Fraudsters have used your ID, you will be arrested unless you transfer the deposit to the safe account."},
     {"CONTENT_THREAT_ARREST", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),  # an accusation, not what fraudsters may do
    ("english-criminals-used-your-card", {"text": "Criminals used your bank card for money laundering, transfer your funds to the safe account to verify them."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONTENT_NEGATED_WARNING"}, FLAGGED),
    ("english-scammers-then-the-demand", {"text": "Scammers copy our name, but you must pay the fee to the officer's account today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    # English (and mixed) payment readings, edition -160: a sum ordered paid at once or to escape enforcement, fees no
    # body charges, a withdrawal sold, a wallet, a mobile or a person as payee, same-day deadlines; and what they are not
    ("english-pay-a-sum-to-avoid-enforcement", {"text": "Guangzhou Arbitration Commission: Pay 3,000 CNY today to avoid enforcement. Call 13812345678."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS", "BODY_REGISTERED"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("english-remit-a-sum-immediately", {"text": "Online Arbitration Centre: remit USD 900 immediately, otherwise a default award follows."},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("english-threat-first-then-remit", {"text": "Arbitration notice: to avoid enforcement and asset freezing, remit the settlement fee of USD 3,200 to account 012-345678-9."},
     {"CONTENT_PAYMENT_DEMAND"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-you-must-settle-a-sum", {"text": "Arbitration notice: you must settle RMB 4,600 to the case officer's account."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-failure-to-pay-results", {"text": "Arbitration Court: failure to pay will result in enforcement. Settlement must be completed by 6pm today."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-post-bail-now", {"text": "Court notice: your son has been detained. Post bail of 20,000 yuan now through the officer."},
     {"CONTENT_PAYMENT_DEMAND"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-clearance-fee-today", {"text": "Arbitration notice: please pay the clearance fee today."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-bank-reminder-pays-the-bank", {"text": "HSBC: Your credit card payment of HKD 3,250.00 was due on 28 Nov. Please settle via HSBC HK App or online banking.", "sender": "HSBC"},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-bank-sum-to-avoid-late-charges", {"text": "Reminder: your card is overdue. Please pay HKD 3,200 by 15 Dec to avoid late charges."},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("english-lawyers-letter-gives-weeks", {"text": "Dear Sir, our client's invoices of HK$412,500 remain unpaid. Unless payment is made within 14 days, our client will commence arbitration."},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("english-friend-sends-money-now", {"text": "I will send you $20 now for the concert tickets."},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-caution-names-a-sum-now", {"text": "HKIAC will never ask you to pay HKD 5,000 immediately."},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_PAYMENT_DEMAND", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-no-need-to-pay-a-fee", {"text": "American Arbitration Association: you do not need to pay any filing fee as the consumer respondent. See adr.org/consumer."},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # a withdrawal sold for money; a notice that a claim was withdrawn sells nothing
    ("english-withdraw-the-case-for-a-fee", {"text": "Shenzhen Court of International Arbitration: to withdraw the case, pay the case dismissal fee of 1,500 yuan within 2 days."},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEBT_RELIEF_SERVICE", "CONTENT_DEADLINE_HOURS"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("english-dismissed-once-you-pay", {"text": "Arbitration notice: the case will be dismissed once you pay the settlement."},
     {"CONTENT_PAYMENT_DEMAND"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-claim-withdrawn-notice", {"text": "CIETAC: the Claimant has withdrawn the claim and the case is closed. www.cietac.org"},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEBT_RELIEF_SERVICE"}, NOT_FLAGGED),
    ("english-atm-withdrawal-fee", {"text": "There is an ATM withdrawal fee of $2 for other banks' cards."},
     set(), {"CONTENT_DEBT_RELIEF_SERVICE", "CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("english-unfreezing-fee", {"text": "Loan service: pay the unfreezing fee of 3,000 yuan to release your account."},
     {"CONTENT_ADVANCE_FEE"}, set(), FLAGGED),
    # a wallet, a mobile number or a person as payee; a method named, a body's or the reader's own account is none
    ("english-alipay-to-a-mobile", {"text": "Pay 2,000 RMB by 5pm via Alipay to 13812345678"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-paypal-to-an-email", {"text": "Arbitration notice: pay the release fee of HKD 2,000 via PayPal to john.smith@gmail.com"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("english-zelle-number-first", {"text": "Court notice: send the money to 415-555-0134 via Zelle before midnight."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-cash-app-handle", {"text": "Court clerk: pay the fine on Cash App $courtclerk22."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-wechat-id-as-payee", {"text": "Enforcement notice: pay the court officer via WeChat ID court_officer_zhang."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-transfer-to-a-mainland-mobile", {"text": "Arbitration notice: transfer the deposit to 138 1234 5678 today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-in-the-name-of-a-person", {"text": "Guangzhou Arbitration Commission: your case is filed. Wire the processing fee of USD 500 to account 6222021001123456789 in the name of Zhang Wei before midnight."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("english-account-name-of-a-person", {"text": "Tribunal notice: pay HK$9,850 to A/C 012-458-2201933, Name: Chan Tai Man."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-gift-card-codes-sent", {"text": "Beijing Arbitration Commission: buy 5 iTunes gift cards worth $100 each and send the codes to the officer."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-steam-wallet-cards", {"text": "Court notice: settle the fine in Steam Wallet cards."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("english-shop-accepts-wallets", {"text": "Tea House: we accept Alipay and WeChat Pay at the counter."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-account-in-the-bodys-name", {"text": "Guangzhou Arbitration Commission: please pay the fee to the account in the name of Guangzhou Arbitration Commission stated in the fee notice."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-account-in-your-companys-name", {"text": "The account in the name of your company has been verified."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-bank-your-personal-account", {"text": "HSBC: your personal account statement for November is ready in the app."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("english-wechat-id-as-contact", {"text": "Add me on WeChat abc_12345 to plan the trip."},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    # same-day deadlines after a word of paying or answering; a time in a chat is none
    ("english-settle-before-midnight", {"text": "Arbitration notice: settle the debt before midnight."},
     {"CONTENT_DEADLINE_HOURS"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-respond-within-two-days", {"text": "Arbitration notice: respond within 2 days or a default award is issued."},
     {"CONTENT_DEADLINE_HOURS"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-pay-by-18-today", {"text": "Arbitration notice: payment is required before 18:00 today."},
     {"CONTENT_DEADLINE_HOURS"}, set(), NOT_FLAGGED | FLAGGED),
    ("english-home-before-midnight", {"text": "Don't wait up, I'll be back before midnight."},
     set(), {"CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("english-arrives-within-two-days", {"text": "Your parcel will arrive within 2 days."},
     set(), {"CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("english-paid-today-story", {"text": "I paid the deposit today, all good."},
     set(), {"CONTENT_DEADLINE_HOURS", "CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # written a letter at a time, words two spaces apart: read as the words (the body, the demand, the payee)
    ("english-spaced-letters-body-and-demand", {"text": "N o t i c e: G u a n g z h o u  A r b i t r a t i o n  C o m m i s s i o n. Pay 3,000 CNY today to avoid enforcement."},
     {"BODY_REGISTERED", "CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("english-whole-message-spaced", {"text": " ".join("Guangzhou Arbitration Commission: pay 3,000 CNY today via Alipay to 13812345678 to avoid enforcement.")},
     {"BODY_REGISTERED", "CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_PAYMENT_DEMAND"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    ("english-whole-genuine-notice-spaced", {"text": " ".join("HKIAC: the hearing in HKIAC/A25118 is fixed for 3 March. Details: www.hkiac.org")},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("mixed-fee-via-alipay-today", {"text": "【广州仲裁委员会】您的案件已立案，please pay 3,000元 仲裁费 via 支付宝 to 13812345678 today."},
     {"CONTENT_PAY_PERSONAL_ACCOUNT", "CONTENT_DEADLINE_HOURS"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
    # a caution that held the only content finding leaves CONTENT_NONE (the reader is told nothing is asked)
    ("caution-only-content-none", {"text": "【某某仲裁委】请勿转入所谓安全账户。"},
     {"CONTENT_NEGATED_WARNING", "CONTENT_NONE"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("caution-and-a-demand-no-content-none", {"text": "【某某仲裁委】请勿相信他人，立即转入安全账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, {"CONTENT_NONE"}, FLAGGED),
    # --- bidi controls: read in the order the phone shows. A right-to-left override shows the
    # characters after it reversed, so a fake body's name sent backwards was shown as the name
    # and read by nobody (BODY_NONE); embeddings and isolates around a name reorder nothing.
    ("fake-body-shown-through-an-override", {"text": "【\u202e会员委裁仲络网京北\u202c】您的欠款案件已立案，请今天联系专员 13800138000。"},
     {"BODY_KNOWN_FAKE", "CONTENT_CALLBACK_MOBILE"}, {"BODY_NONE"}, SCAM),
    ("fake-body-override-mirrors-brackets", {"text": "\u202e】会员委裁仲络网【\u202c您的欠款案件已立案，请今天联系专员 13800138000。"},
     {"BODY_KNOWN_FAKE", "CONTENT_CALLBACK_MOBILE"}, {"BODY_NONE"}, SCAM),
    ("registered-body-inside-isolates", {"text": "【\u2067\u202e会员委裁仲京北\u202c\u2069】您的案件已受理，请登录 https://www.bjac.org.cn 查看。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"BODY_NONE", "LINK_OBFUSCATED"}, NOT_FLAGGED),
    ("registered-body-in-an-embedding-keeps-its-order", {"text": "【\u202b北京仲裁委员会\u202c】您的案件已受理，请登录 https://www.bjac.org.cn 查看。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"BODY_NONE"}, NOT_FLAGGED),
    ("official-link-shown-through-an-override", {"text": "【广州仲裁委员会】请登录 \u202emoc.yap-zcgg//:sptth\u202c 缴纳仲裁费。"},
     {"LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, {"LINK_OFFICIAL"}, FLAGGED),
    # money to a handler named by role alone ("专员账户") is money to a person; the body's own account is not
    ("fee-to-the-officers-account", {"text": "【仲裁中心】您的案件已受理，请今日缴纳受理费至专员账户。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("transfer-to-the-clerks-account", {"text": "【某某仲裁委】请将执行款转到书记员的账户，逾期冻结。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("fee-to-the-commissions-own-account", {"text": "【广州仲裁委员会】请将仲裁费缴纳至本会账户，缴费后将凭证发送给工作人员。"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    ("caution-against-the-officers-account", {"text": "【广州仲裁委员会】提醒：请勿将任何款项转入所谓专员账户，本会只通过本会账户收费。"},
     {"CONTENT_NEGATED_WARNING"}, {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    # any bidi control inside a link hides part of what it opens, the Arabic letter mark too
    ("arabic-letter-mark-inside-a-link", {"text": "【北京仲裁委员会】请登录 https://bjac.org.cn\u061c/case 查看。"},
     {"LINK_OBFUSCATED"}, set(), FLAGGED),
    # --- a Latin app name spelled one letter at a time is the name
    ("remote-app-spelled-out-with-spaces", {"text": "【仲裁中心】请下载 A n y D e s k 配合核查账户，否则冻结。"},
     {"CONTENT_SCREEN_SHARE"}, set(), FLAGGED),
    ("remote-app-spelled-out-with-hyphens", {"text": "【仲裁中心】请安装T-e-a-m-V-i-e-w-e-r，专员远程协助您处理。"},
     {"CONTENT_SCREEN_SHARE"}, set(), FLAGGED),
    ("remote-app-spelled-out-in-english", {"text": "Arbitration notice: install T o D e s k now so our officer can check your account.", "sender": "17012345678"},
     {"CONTENT_SCREEN_SHARE"}, set(), FLAGGED),
    ("spaced-out-link-is-not-a-word", {"text": "【仲裁中心】请登录 w w w . a n y d e s k . c o m 查看。"},
     {"LINK_OBFUSCATED"}, {"CONTENT_SCREEN_SHARE"}, FLAGGED),
    ("multiple-choice-letters-stay-letters", {"text": "问卷第3题请在 A B C D 中选择一项，谢谢参与。", "sender": "10690012345"},
     set(), {"CONTENT_SCREEN_SHARE"}, NOT_FLAGGED),
    ("override-closed-by-its-line-end", {"text": "\u202e会员委裁仲京北\n北京仲裁委员会通知：您的案件已受理，请登录 https://www.bjac.org.cn 查看。"},
     {"BODY_REGISTERED", "LINK_OFFICIAL"}, {"LINK_OBFUSCATED"}, NOT_FLAGGED),
    # --- news about the revised Arbitration Law, which calls every body 仲裁机构: bodies at large after a
    # policy verb, of a class or counted are no names; a signature or a centre so named is still judged.
    ("revised-law-news-policy-verbs", {"text": "新修订的仲裁法支持仲裁机构到境外设立业务机构，规范仲裁机构内部治理，鼓励仲裁机构加强国际交流合作。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS", "BODY_UNRECOGNISED"}, {"unverified"}),
    ("revised-law-news-foreign-institutions", {"text": "新仲裁法允许境外仲裁机构在自由贸易试验区设立业务机构，国内仲裁机构也可以到境外开展仲裁活动。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS", "BODY_UNRECOGNISED"}, {"unverified"}),
    ("revised-law-news-counted-bodies", {"text": "截至2025年8月底，全国依法设立285家仲裁委员会，其中有三家仲裁委员会参与试点。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS", "BODY_UNRECOGNISED"}, {"unverified"}),
    ("class-word-signature-is-judged", {"text": "【境外仲裁中心】您的借款纠纷已立案，请今日缴纳受理费。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("class-word-before-a-centre-is-judged", {"text": "境外仲裁中心通知：您的借款纠纷已立案，请今日缴纳受理费。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("policy-verb-signature-is-judged", {"text": "【支持仲裁中心】您的借款纠纷已立案，请今日缴纳受理费。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    # --- the China Arbitration Association (revised Arbitration Law, in force 2026-03-01): a real
    # self-regulatory body that hears no case. A case notice or a fee in its name is not its own; a
    # mention of it (news, the law, its own caution) is no claim and no impossible name.
    ("association-sends-a-case-notice", {"text": "【中国仲裁协会】您的借款纠纷案已立案，请于24小时内缴纳仲裁费，否则将强制执行。"},
     {"BODY_ASSOCIATION_CASE", "CONTENT_PAYMENT_DEMAND"}, {"BODY_IMPOSSIBLE_NAME", "BODY_REGISTERED"}, SCAM),
    ("association-case-number-no-demand", {"text": "中国仲裁协会通知：(2026)仲协字第0012号案件定于下周开庭，请按时参加。"},
     {"BODY_ASSOCIATION_CASE"}, {"BODY_NOT_ADJUDICATOR", "BODY_IMPOSSIBLE_NAME"}, FLAGGED),
    ("association-as-sender-name", {"text": "您的借款纠纷案已受理，请今日缴纳受理费。", "sender": "中国仲裁协会"},
     {"BODY_ASSOCIATION_CASE", "SENDER_DISPLAY_NAME"}, {"BODY_IMPOSSIBLE_NAME"}, FLAGGED),
    ("association-english-case-notice", {"text": "China Arbitration Association: your loan case has been accepted, pay the hearing fee today."},
     {"BODY_ASSOCIATION_CASE"}, {"BODY_IMPOSSIBLE_NAME", "BODY_UNRECOGNISED"}, FLAGGED),
    ("association-collects-a-debt", {"text": "中国仲裁协会提示：您的网贷已逾期，欠款将移交处理，请尽快联系专员 13912345678 还款。"},
     {"BODY_ASSOCIATION_CASE", "CONTENT_CALLBACK_MOBILE"}, {"BODY_NOT_ADJUDICATOR"}, FLAGGED),
    ("association-news-on-disputes", {"text": "中国仲裁协会成立后将依照章程监督仲裁员，化解商事纠纷的仍是当事人选定的仲裁机构。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE", "BODY_IMPOSSIBLE_NAME"}, {"unverified"}),
    ("association-in-the-news", {"text": "新修订的仲裁法自2026年3月1日起施行，中国仲裁协会是仲裁机构的自律性组织，依照章程对仲裁机构和仲裁员进行监督。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE", "BODY_IMPOSSIBLE_NAME"}, {"unverified"}),
    ("association-own-caution", {"text": "中国仲裁协会提醒：协会不受理具体案件，也不会向当事人收取费用，请勿相信以协会名义发送的缴费短信。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE", "BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("association-in-english-news", {"text": "Under the revised Arbitration Law the China Arbitration Association supervises arbitrators; it does not hear cases."},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE", "BODY_UNRECOGNISED"}, NOT_FLAGGED),
    # a case word ends a clause: "网络仲裁案件仲裁庭" is the case's tribunal, no body; a signed invented tribunal still is one
    ("case-word-before-the-tribunal", {"text": "【潍坊仲裁委员会】本会受理的您与某公司网络仲裁案件仲裁庭已组成，开庭时间另行通知。", "sender": "10690123456"},
     {"BODY_REGISTERED"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("signed-online-tribunal-is-invented", {"text": "【网络仲裁庭】您的借款案件已立案，逾期将缺席裁决。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    # what is not set up, and the kind of arbitration alone, are no names; a district's or the bare kind's signature is
    ("no-district-commission-explained", {"text": "县一级不设商事仲裁委员会，我们市里也并没有区仲裁委员会，只有劳动仲裁。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("commercial-kind-as-signature", {"text": "【商事仲裁委员会】您的案件已受理，请缴纳仲裁费。"},
     {"BODY_IMPOSSIBLE_NAME"}, set(), FLAGGED),
    ("district-commission-as-signature", {"text": "【朝阳区仲裁委员会】您的案件已受理，请缴纳仲裁费。"},
     {"BODY_NEAR_MISS"}, set(), FLAGGED),
    # no name holds 的: "洛阳那边的仲裁委员会" refers to a body; an invented name after 的 is still read
    ("place-then-de-refers", {"text": "听说洛阳那边的仲裁委员会开庭很规范。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("place-de-invented-centre", {"text": "【通知】遵义的网络仲裁中心已受理您的借款纠纷，请今日缴费。"},
     {"BODY_KNOWN_FAKE"}, set(), FLAGGED),
    # an autonomous prefecture written short with 州, and <city>国际仲裁院, are lawful forms; a county or no place is not
    ("autonomous-prefecture-short-zhou", {"text": "【恩施州仲裁委员会】您与某公司的买卖合同纠纷已受理，仲裁通知书将邮寄送达。", "sender": "10690123456"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_NEAR_MISS", "BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("prefecture-name-with-county", {"text": "【黔南县仲裁委员会】您与某公司的买卖合同纠纷已受理，请缴纳仲裁费。"},
     {"BODY_NEAR_MISS"}, set(), FLAGGED),
    ("city-international-arbitration-court", {"text": "【赣州国际仲裁院】您与某公司的买卖合同纠纷已受理，仲裁通知书将邮寄送达。", "sender": "10690123456"},
     {"BODY_LAWFUL_PATTERN"}, {"BODY_NEAR_MISS", "BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("placeless-international-arbitration-court", {"text": "【国际仲裁院】您的借款纠纷已受理，请缴纳仲裁费。"},
     {"BODY_NEAR_MISS"}, set(), FLAGGED),
    # arbitration associations are lawful and take no cases: named in news they are named, a case notice in their name is not theirs
    ("association-in-an-explainer", {"text": "中国仲裁协会是仲裁机构的自律性组织，不受理具体案件；广西仲裁协会也只做行业自律。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE", "BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    ("association-announces-to-its-members", {"text": "中国仲裁协会通知：各仲裁机构应于年底前报送2025年度案件统计，（2025）京仲裁字第0001号等典型案例一并报送。"},
     {"BODY_NOT_ADJUDICATOR"}, {"BODY_ASSOCIATION_CASE"}, NOT_FLAGGED),
    ("association-signs-a-case-notice-with-its-number", {"text": "【中国仲裁协会】您的（2026）仲协字第0021号借款纠纷案件已受理，请缴纳应诉保证金。"},
     {"BODY_ASSOCIATION_CASE"}, set(), FLAGGED),
    ("provincial-association-demands-payment", {"text": "江西省仲裁协会通知：您名下仲裁案件需缴纳清理费500元。", "sender": "13812345678"},
     {"BODY_ASSOCIATION_CASE"}, set(), FLAGGED),
    ("national-association-is-invented", {"text": "【国家仲裁协会】您有一笔仲裁案件待处理。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_ASSOCIATION_CASE"}, FLAGGED),
    # only courts enforce: an arbitration body's enforcement division is invented, its verb 执行 is not a division
    ("commission-enforcement-bureau", {"text": "【遵义市仲裁院执行局】您的仲裁裁决已生效，本局将于明日上门执行。"},
     {"BODY_IMPOSSIBLE_NAME"}, {"BODY_LAWFUL_PATTERN"}, FLAGGED),
    ("commission-award-enforced-by-court", {"text": "【广州仲裁委员会】本会裁决已生效，对方不履行的，您可向人民法院申请执行。", "sender": "10690123456"},
     {"BODY_REGISTERED"}, {"BODY_IMPOSSIBLE_NAME"}, NOT_FLAGGED),
    # silence read as admitting the claims or the award; consent to a procedure and a deemed withdrawal are real rules
    ("silence-deemed-to-accept-award", {"text": "【常德仲裁委员会】您的案件文书已送达，未登录查看将视为认可仲裁裁决。"},
     {"CONTENT_DEEMED_CONSENT"}, set(), FLAGGED),
    ("deemed-consent-to-online-hearing-and-withdrawal", {"text": "【常德仲裁委员会】被申请人对在线审理未提出异议的，视为同意在线审理；申请人逾期未预交仲裁费的，视为撤回仲裁申请。"},
     set(), {"CONTENT_DEEMED_CONSENT"}, NOT_FLAGGED),
    # 打 ("call") ends a name read back; the name after it is still read
    ("call-the-commission-advice", {"text": "律师提醒：真的案件可以打仲裁委官网上的电话核实，不要向个人账户转钱。"},
     set(), {"BODY_IMPOSSIBLE_NAME", "BODY_NEAR_MISS"}, NOT_FLAGGED),
    ("call-a-fake-body-line", {"text": "您的欠款已被申请仲裁，请打网络仲裁委员会专线处理，逾期将上门取证。"},
     {"BODY_KNOWN_FAKE"}, set(), FLAGGED),
    # calling back on a number already known is the advice; a call back asked for is the scammer's line
    ("call-back-on-the-known-number", {"text": "防骗提醒：接到自称法院、仲裁委的电话，先挂断，再用原来的号码回拨核实，或回拨官方电话。"},
     set(), {"CONTENT_CALLBACK_MOBILE"}, NOT_FLAGGED),
    ("call-back-this-number", {"text": "您的仲裁案件已立案，今日内请回拨本号码处理，否则视为放弃答辩。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    # only a court may have an employer withhold income; a bank's debit from a payroll card and tax withholding are not that
    ("employer-asked-to-withhold-wages", {"text": "贵单位员工赵某因网贷逾期被申请仲裁，请贵单位于三个工作日内代扣其工资用于还款。", "sender": "arb_office@163.com"},
     {"CONTENT_WAGE_WITHHOLDING"}, set(), FLAGGED),
    ("payroll-card-debit-and-tax", {"text": "【某银行】您的贷款本月将从您的工资卡代扣还款，请保证余额充足；单位代扣代缴工资薪金所得个人所得税。"},
     set(), {"CONTENT_WAGE_WITHHOLDING"}, NOT_FLAGGED),
    # a fee or the debt sent as a red packet goes to a person; a bank's repayment red packet is an offer
    ("settlement-by-red-packet", {"text": "【仲裁案件通知】您的案件已进入执行程序，请以口令红包形式将和解金发送给书记员。"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("bank-repayment-red-packet", {"text": "【某银行】恭喜您获得还款红包，还款时可抵扣5元。", "sender": "95555"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    # a real body's name does not make a handler's payee lawful: the name quoted or followed by a card in brackets
    ("registered-body-pay-handler-card-in-brackets", {"text": "【深圳国际仲裁院】您的借款纠纷案已裁决，请使用云闪付向经办人陈某（6217 **** 5521）付款1580元，付款后案件自动撤销。", "sender": "1069012345678"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("registered-body-pay-quoted-payee", {"text": "【湛江仲裁委】你的借款纠纷已作出裁决，请向收款人“执行办-林”转账6840元。", "sender": "1069012345678"},
     {"CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), FLAGGED),
    ("bank-tip-check-the-payee-name", {"text": "【某银行】温馨提示：转账前请核对收款人姓名和账号，谨防诈骗。", "sender": "95588"},
     set(), {"CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED),
    # a fee to leave the defaulters' list is sold, not charged by a court
    ("credit-repair-fee-for-defaulters-list", {"text": "你已被纳入失信名单，限制高消费，解除需在线缴纳信用修复费。"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
    ("court-credit-repair-free", {"text": "法院提醒：被执行人履行完毕后可申请信用修复，法院不收取任何费用。"},
     set(), {"CONTENT_DEBT_RELIEF_SERVICE"}, NOT_FLAGGED),
    # --- round 10 of items left alone
    # a sum to pay today to escape enforcement or a suit, in one Chinese clause, as in English
    ("pay-today-to-avoid-enforcement-zh", {"text": "请今天缴纳3000元，以免强制执行。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("avoid-suit-first-then-pay-today-zh", {"text": "为避免被起诉，请今天支付欠款3000元。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("pay-before-this-afternoon-or-enforcement-zh", {"text": "请在今天下午前支付剩余欠款，以免被强制执行。"},
     {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, set(), FLAGGED),
    ("bank-autopay-due-today-keep-funds", {"text": "【某银行】您的贷款今日到期，请于今日内存入足额资金，以免影响还款。", "sender": "95555"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),  # as "to avoid late charges": a deadline, no demand
    ("shop-order-today-to-avoid-stockout", {"text": "【某某商城】爆款库存紧张，今天下单以免缺货。", "sender": "1069012345678"},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    ("chat-i-paid-today", {"text": "我今天转账了3000元，你查收一下。", "sender": "13812345678"},
     set(), {"CONTENT_DEADLINE_HOURS", "CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    ("lawyer-letter-seven-days-or-legal-measures", {"text": "请贵司于收到本函之日起七日内支付货款50000元，以免我方采取法律措施。"},
     set(), {"CONTENT_PAYMENT_DEMAND", "CONTENT_DEADLINE_HOURS"}, NOT_FLAGGED),
    # a message spaced out whole is how it was written; a link spaced inside unspaced text is hidden
    ("shop-advert-spaced-out-whole", {"text": " ".join("【某某商城】双十二大促，全场满300减50，详情见 https://shop-sale.com/a ，回T退订"), "sender": "1069012345678"},
     set(), {"LINK_OBFUSCATED"}, NOT_FLAGGED),
    ("link-alone-spaced-in-an-advert", {"text": "【某某商城】双十二大促，全场满300减50，详情见 h t t p s : / / s h o p - s a l e . c o m / a ，回T退订", "sender": "1069012345678"},
     {"LINK_OBFUSCATED"}, set(), FLAGGED),
    # the reader accused of a crime; a report about someone else is not
    ("your-card-suspected-of-fraud-crime", {"text": "你的银行卡涉嫌诈骗犯罪，请立即配合调查。"},
     {"CONTENT_CRIME_ACCUSATION"}, set(), FLAGGED),
    ("police-tell-a-victim-the-suspect-is-charged", {"text": "你报案的张某涉嫌诈骗一案已立案侦查，请保持电话畅通。"},
     set(), {"CONTENT_CRIME_ACCUSATION"}, NOT_FLAGGED),
    # the police as a threat; the police as advice
    ("collector-threatens-your-home-police-station", {"text": "【仲裁中心】你的欠款逾期不还，我们将通知你户籍地派出所上门处理。"},
     {"CONTENT_THREAT_ARREST"}, set(), FLAGGED),
    ("bank-advice-to-contact-the-police", {"text": "【某银行】如遇诈骗请立即联系当地派出所或拨打110。", "sender": "95555"},
     set(), {"CONTENT_THREAT_ARREST"}, NOT_FLAGGED),
    # a fee to withdraw the case under another name; cancelling charges are not it
    ("withdrawal-fee-named-cheche", {"text": "【仲裁委】你的案件需缴纳撤销费2000元方可撤销。"},
     {"CONTENT_PAYMENT_DEMAND"}, set(), FLAGGED),
    ("card-annual-fee-cancellation", {"text": "【某银行】您申请的年费撤销费用减免已办理成功。", "sender": "95555"},
     set(), {"CONTENT_PAYMENT_DEMAND"}, NOT_FLAGGED),
    # the payee field's own word (收款人姓名) is no payee: the body named in it is the body
    ("payee-name-field-names-the-body", {"text": "【深圳国际仲裁院】请按仲裁规则预缴仲裁费，收款单位名称：深圳国际仲裁院。"},
     set(), {"CONSISTENCY_PAYEE_NOT_BODY", "CONTENT_PAY_PERSONAL_ACCOUNT"}, NOT_FLAGGED | FLAGGED),
    ("payee-name-field-names-a-person", {"text": "【深圳国际仲裁院】请预缴仲裁费，收款人姓名：张三，账号：6222021234567890123。"},
     {"CONSISTENCY_PAYEE_NOT_BODY", "CONTENT_PAY_PERSONAL_ACCOUNT"}, set(), SCAM),
    # combining marks on Chinese characters split no name
    ("combining-mark-on-a-body-name", {"text": "【北\u0300京仲裁委员会】您的案件已受理，详情请登录 https://www.bjac.org.cn 查询。"},
     {"BODY_REGISTERED"}, {"BODY_NEAR_MISS"}, NOT_FLAGGED),
    # digits of any script are read as numbers
    ("arabic-indic-digits-mobile-to-call", {"text": "【仲裁中心】请致电١٣٨١٢٣٤٥٦٧٨处理您的案件。"},
     {"CONTENT_CALLBACK_MOBILE"}, set(), FLAGGED),
    ("persian-digits-sender-mobile", {"text": "【北京仲裁委员会】您的案件已受理。", "sender": "۱۳۸۱۲۳۴۵۶۷۸"},
     {"SENDER_PERSONAL_MOBILE"}, set(), NOT_FLAGGED | FLAGGED),
    # an empty sender is none given; words for a withheld caller id are hidden
    ("sender-empty-is-not-given", {"text": "【北京仲裁委员会】您的案件已受理。", "sender": ""},
     {"SENDER_NOT_GIVEN"}, {"SENDER_HIDDEN"}, NOT_FLAGGED),
    ("sender-blank-is-not-given", {"text": "【北京仲裁委员会】您的案件已受理。", "sender": "   "},
     {"SENDER_NOT_GIVEN"}, {"SENDER_HIDDEN"}, NOT_FLAGGED),
    ("sender-no-caller-id-is-hidden", {"text": "您的仲裁案件已立案。", "sender": "No Caller ID"},
     {"SENDER_HIDDEN"}, {"SENDER_NOT_GIVEN"}, NOT_FLAGGED | FLAGGED),
    # --- the twenty-sixth set: businesses and professionals as the target (edition 2026.12.08-5)
    # the "Asian domain registration" mail to brand owners; a registrar's own reminder is not it
    ("domain-registration-lure-en", {"text": "Dear CEO, we received an application from Huafeng Ltd to register \"acme\" as their Internet Keyword and acme.cn, acme.asia domain names. Did you authorize this company to register these names? Please reply within 5 working days.", "sender": "audit@cn-registry.example", "channel": "email"},
     {"CONTENT_DOMAIN_REGISTRATION_LURE"}, set(), FLAGGED),
    ("domain-registration-lure-zh", {"text": "尊敬的负责人：我中心收到某投资有限公司的申请，欲注册“启航”作为网络通用关键词及相关域名，若贵司未授权对方注册，请于5个工作日内回复。"},
     {"CONTENT_DOMAIN_REGISTRATION_LURE"}, set(), FLAGGED),
    ("registrar-renewal-reminder", {"text": "【阿里云】尊敬的用户，您的域名 example.cn 将于2027年01月15日到期，请及时登录阿里云控制台续费。", "sender": "10655059003"},
     set(), {"CONTENT_DOMAIN_REGISTRATION_LURE"}, NOT_FLAGGED),
    # a commission named as the forum a contract chooses or a party will go to does not speak; one already
    # holding the case may
    ("forum-in-a-buyers-clause", {"text": "Dear Mr. Xu, we propose a 12% discount on the invoice. If we cannot agree, clause 18 provides for arbitration at HKIAC.", "sender": "claims@brightwell-imports.co.uk", "channel": "email"},
     set(), {"CONSISTENCY_EMAIL_NOT_OFFICIAL"}, NOT_FLAGGED),
    ("forum-in-a-lawyers-letter", {"text": "请贵司于收函后十五日内将货款支付至委托人合同约定的账户（户名：苏州恒远贸易有限公司）。逾期未付，委托人将依据合同约定向上海国际仲裁中心申请仲裁。", "sender": "chensy@mingchenglaw.cn", "channel": "email"},
     set(), {"CONSISTENCY_EMAIL_NOT_OFFICIAL", "CONSISTENCY_PAYEE_NOT_BODY"}, NOT_FLAGGED),
    ("contract-named-as-the-dispute", {"text": "您的借款合同纠纷，债权人向中国国际经济贸易仲裁委员会申请仲裁，请联系书记员13812345678。"},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, set(), FLAGGED),
    ("case-already-at-the-body", {"text": "Your contract dispute has been submitted for arbitration at CIETAC. Call the clerk at +852 6128 4471 today."},
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, set(), FLAGGED),
    # the domain a dispute is about is the holder's own name, not a site to open; one to log in to still is
    ("udrp-complaint-names-the-disputed-domain", {"text": "A Complaint has been submitted to the ADNDRC concerning the domain name <kelvora-outlet.com>. You are required to submit a Response within 20 days. Forms are available at www.adndrc.org.", "sender": "bj@adndrc.org", "channel": "email"},
     {"LINK_OFFICIAL", "CONSISTENCY_ALL_OFFICIAL"}, {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, NOT_FLAGGED),
    ("cn-domain-complaint-names-the-domain", {"text": "被投诉人：投诉人就贵司注册的域名 yunfan-shop.cn 向中国国际经济贸易仲裁委员会网上争议解决中心提交了投诉，请贵司于20日内提交答辩书。"},
     set(), {"CONSISTENCY_LINK_NOT_OFFICIAL", "LINK_UNKNOWN_DOMAIN"}, NOT_FLAGGED),
    ("domain-to-log-in-to", {"text": "【深圳国际仲裁院】贵司案件需补缴仲裁费，请登录域名 scia-online.cn 缴费。"},
     {"CONSISTENCY_LINK_NOT_OFFICIAL"}, set(), FLAGGED),
    ("top-level-domain-named-as-one", {"text": "HKIAC, as the dispute resolution service provider for .hk domain names, has received a Complaint. Details are available on www.hkiac.org.", "sender": "dn@hkiac.org", "channel": "email"},
     {"LINK_OFFICIAL"}, {"LINK_OBFUSCATED", "CONSISTENCY_LINK_NOT_OFFICIAL"}, NOT_FLAGGED),
    # a paid credit repair priced in the message
    ("credit-repair-priced", {"text": "【企业信用中心】贵司已被列入经营异常名录。我中心可协助办理信用修复，24小时内出证，费用3980元。", "sender": "10692558803713"},
     {"CONTENT_DEBT_RELIEF_SERVICE"}, set(), FLAGGED),
]


@pytest.mark.parametrize("case_id,req,expect,forbid,verdicts", CASES, ids=[c[0] for c in CASES])
def test_case(registry, case_id, req, expect, forbid, verdicts):
    resp = evaluate(Evidence(extract(VerifyRequest(**req), registry), NetworkEvidence.off()), registry)
    codes = {r.code for r in resp.reasons}
    assert expect <= codes, f"missing {expect - codes}; got {sorted(codes)}"
    assert not (forbid & codes), f"forbidden {forbid & codes}"
    assert resp.verdict in verdicts, (resp.verdict, sorted(codes))


def _net(req: dict, registry, **evidence) -> set[str]:
    ex = extract(VerifyRequest(**req), registry)
    resp = evaluate(Evidence(ex, NetworkEvidence(enabled=True, **evidence)), registry)
    return {r.code for r in resp.reasons}, resp.verdict


NET_REQ = {"text": "仲裁查询 https://zc-notice.com/case"}


def test_net_outcomes(registry):
    codes, _ = _net(NET_REQ, registry, domains={"zc-notice.com": DomainEvidence("zc-notice.com", "exists")})
    assert "NET_DOMAIN_EXISTS" in codes
    codes, _ = _net(NET_REQ, registry, domains={"zc-notice.com": DomainEvidence("zc-notice.com", "nxdomain")})
    assert "NET_DOMAIN_NXDOMAIN" in codes
    codes, verdict = _net(NET_REQ, registry, domains={"zc-notice.com": DomainEvidence("zc-notice.com", "unknown")})
    assert "NET_DNS_UNAVAILABLE" in codes and "NET_DOMAIN_NXDOMAIN" not in codes
    codes, _ = _net(NET_REQ, registry, domains={})
    assert "NET_DNS_UNAVAILABLE" in codes


def test_could_not_check_is_not_evidence(registry):
    """A timeout must never make a verdict worse than no network at all."""
    off = evaluate(Evidence(extract(VerifyRequest(**NET_REQ), registry), NetworkEvidence.off()), registry)
    _, verdict = _net(NET_REQ, registry, domains={"zc-notice.com": DomainEvidence(
        "zc-notice.com", "unknown", (DnsblResult("dbl.spamhaus.org", "unknown"),))}, timed_out=True)
    assert verdict == off.verdict


@pytest.mark.parametrize("status,code_,expected", [
    ("listed", "127.0.1.4", "NET_DNSBL_LISTED"),
    ("listed", "127.0.1.102", "NET_DNSBL_ABUSED_LEGIT"),
    ("clean", None, "NET_DNSBL_CLEAN"),
    ("refused", "127.255.255.254", "NET_DNSBL_REFUSED"),
])
def test_dnsbl_codes(registry, status, code_, expected):
    d = DomainEvidence("zc-notice.com", "exists", (DnsblResult("dbl.spamhaus.org", status, code_),))
    codes, _ = _net(NET_REQ, registry, domains={"zc-notice.com": d})
    assert expected in codes


def test_shortener_expansion_outcomes(registry):
    req = {"text": "【仲裁文书送达】裁决书待查收 https://dwz.cn/zC8kQ2"}
    url = "https://dwz.cn/zC8kQ2".lower()
    dom = {"dwz.cn": DomainEvidence("dwz.cn", "exists")}
    codes, verdict = _net(req, registry, domains=dom, expansions={url: ExpansionResult(
        "expanded", "https://bjac.org.cn.pay-case.cc/x", "pay-case.cc", 1)})
    assert {"NET_SHORTENER_EXPANDED", "LINK_EMBEDDED_OFFICIAL"} <= codes and verdict in FLAGGED
    codes, _ = _net(req, registry, domains=dom, expansions={url: ExpansionResult("blocked", why="private_address")})
    assert "NET_SHORTENER_BLOCKED" in codes
    codes, _ = _net(req, registry, domains=dom, expansions={url: ExpansionResult("failed", why="timeout")})
    assert "NET_SHORTENER_FAILED" in codes


def test_network_off_is_reported(registry):
    resp = evaluate(Evidence(extract(VerifyRequest(**NET_REQ), registry), NetworkEvidence.off()), registry)
    assert "NET_CHECKS_OFF" in {r.code for r in resp.reasons}


def test_known_scam_lists(test_registry):
    from conftest import TEST_SCAM_DOMAIN, TEST_SCAM_NUMBER

    resp = evaluate(Evidence(extract(VerifyRequest(text=f"仲裁查询 https://{TEST_SCAM_DOMAIN}/c", sender=TEST_SCAM_NUMBER),
                                     test_registry), NetworkEvidence.off()), test_registry)
    codes = {r.code for r in resp.reasons}
    assert {"LINK_KNOWN_SCAM", "SENDER_KNOWN_SCAM"} <= codes
    assert resp.verdict == "likely_scam"


def test_every_code_is_exercised():
    """Each code a check can emit appears in some case above or in the network/list tests."""
    in_table = set().union(*(c[2] for c in CASES))
    elsewhere = {
        "NET_DOMAIN_EXISTS", "NET_DOMAIN_NXDOMAIN", "NET_DNS_UNAVAILABLE", "NET_DNSBL_LISTED",
        "NET_DNSBL_ABUSED_LEGIT", "NET_DNSBL_CLEAN", "NET_DNSBL_REFUSED", "NET_SHORTENER_EXPANDED",
        "NET_SHORTENER_BLOCKED", "NET_SHORTENER_FAILED", "NET_CHECKS_OFF", "LINK_KNOWN_SCAM",
        "SENDER_KNOWN_SCAM",
    }
    assert ALL_CODES - in_table - elsewhere == set()


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_messages_in_each_language(registry, lang):
    resp = evaluate(Evidence(extract(VerifyRequest(text="【网络仲裁委员会】请于24小时内联系 13800138000"), registry),
                             NetworkEvidence.off()), registry, lang)
    assert resp.lang == lang
    assert all(r.message for r in resp.reasons) and resp.advice
    if lang == "en":
        assert all(r.message.isascii() or "“" in r.message for r in resp.reasons)


# Each kind of body the two codes fire for, and words its message must not get wrong: a unit of a
# court or of the central bank is no "sub-brand of an arbitration institution", and an invented court
# or mediation body is not judged by the naming rule of arbitration commissions alone.
_ARBITRATION_ONLY = {"zh-Hans": ("仲裁委员会以", "真实仲裁机构"), "zh-Hant": ("仲裁委員會以", "真實仲裁機構"),
                     "en": ("lawful commissions", "arbitration institution", "arbitration body:")}
_SAYS = {"zh-Hans": {"arbitration": "仲裁", "court": "法院", "mediation": "调解"},
         "zh-Hant": {"arbitration": "仲裁", "court": "法院", "mediation": "調解"},
         "en": {"arbitration": "arbitration", "court": "court", "mediation": "mediation"}}


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("arbitration", "【中国南沙国际仲裁中心】您的案件已受理。", "中国南沙国际仲裁中心"),
    ("court platform", "【人民法院在线服务】您有一份诉讼文书待查收。", "人民法院在线服务"),
    ("court hotline", "【12368诉讼服务热线】您的案件已立案。", "12368诉讼服务热线"),
    ("regulator's unit", "【中国人民银行征信中心】您的个人信用报告已生成。", "中国人民银行征信中心"),
    ("regulator's hotline", "【12378银行保险消费者投诉维权热线】您的投诉已受理。", "12378银行保险消费者投诉维权热线"),
])
def test_sub_brand_message_fits_every_kind_of_parent(registry, kind, text, value):
    for lang in ("zh-Hans", "zh-Hant", "en"):
        _message_of(registry, "BODY_SUB_BRAND", text, value, lang)


def _message_of(registry, code: str, text: str, value: str, lang: str) -> str:
    """The one message `code` gets for `text`: the catalogue's, with the name, and no arbitration-only claim."""
    resp = check_offline(VerifyRequest(text=text), registry, lang)
    msgs = [r.message for r in resp.reasons if r.code == code]
    assert msgs == [registry.codes[code].messages.get(lang).replace("{value}", value)], (lang, msgs)
    assert not any(w in msgs[0] for w in _ARBITRATION_ONLY[lang]), (lang, msgs[0])
    return msgs[0]


@pytest.mark.parametrize(("kind", "text", "value"), [
    ("arbitration", "【网上仲裁委员会】您的借款纠纷已立案。", "网上仲裁委员会"),
    ("court", "【中国互联网法院】您的借款纠纷案已立案。", "中国互联网法院"),
    ("court", "【杭州市人民法院】您的借款纠纷案已立案。", "杭州市人民法院"),
    ("court", "【互联网仲裁法院】您的借款纠纷案已立案。", "互联网仲裁法院"),
    ("mediation", "【互联网调解仲裁院】您的欠款已进入调解程序。", "互联网调解仲裁院"),
    ("arbitration", "Notice from the National Financial Arbitration Court: your loan case is filed.",
     "National Financial Arbitration Court"),
])
def test_impossible_name_message_fits_every_kind_of_body(registry, kind, text, value):
    for lang in ("zh-Hans", "zh-Hant", "en"):
        message = _message_of(registry, "BODY_IMPOSSIBLE_NAME", text, value, lang)
        assert all(w in message for w in _SAYS[lang].values()), (kind, lang, message)


def test_evidence_offsets_point_into_original(registry):
    text = "【網絡仲裁委員會】請於２４小時內聯絡 １３８ ００１３ ８０００，否則通知您的家人。"
    resp = evaluate(Evidence(extract(VerifyRequest(text=text), registry), NetworkEvidence.off()), registry)
    for r in resp.reasons:
        for e in r.evidence:
            if e.field == "text":
                assert 0 <= e.start < e.end <= len(text)
                assert text[e.start:e.end] == e.value or r.code.startswith("CONTENT_CALLBACK")


def test_emergency_contact_advice(registry):
    resp = evaluate(Evidence(extract(VerifyRequest(text="您被填写为紧急联系人，请转告其尽快还款，否则爆通讯录。"), registry),
                             NetworkEvidence.off()), registry, "en")
    assert "owe_nothing" in {a.kind for a in resp.advice}


@pytest.mark.parametrize(("text", "kinds", "not_kinds"), [
    # a threat that may have reached the wrong person: you owe nothing if it is not your loan
    ("【网络仲裁委员会】您的借款纠纷已立案，请今日内联系13800138000处理，否则上门执行。",
     {"not_yours", "do_not_pay"}, {"owe_nothing"}),
    # an emergency contact is told so instead
    ("【网络仲裁委员会】您被填写为紧急联系人，请转告其今日内还款，否则爆通讯录。",
     {"owe_nothing"}, {"not_yours"}),
    # a genuine-looking notice and an ordinary message get neither
    ("【广州仲裁委员会】您好，（2026）穗仲案字第1234号案件已受理，请登录 https://www.gzac.org 查看。",
     set(), {"not_yours", "owe_nothing", "do_not_pay"}),
    ("明天下午三点开会，记得带电脑。", {"not_a_legal_notice"}, {"not_yours", "owe_nothing", "take_care"}),
    # a link a WeChat copy dropped: how to give it, whatever the verdict
    ("【广州仲裁委员会】您的案件已受理，请点击[链接]查看仲裁文书。", {"paste_link"}, {"do_not_pay"}),
    ("【网络仲裁委员会】您的借款纠纷已立案，请今日内点击[链接]缴纳保证金，否则上门执行。", {"paste_link", "do_not_pay"}, set()),
    ("【广州仲裁委员会】您的案件已受理，请登录 https://www.gzac.org 查看。", set(), {"paste_link"}),
])
def test_advice_for_whom_the_notice_may_not_concern(registry, text, kinds, not_kinds):
    for lang in ("zh-Hans", "zh-Hant", "en"):
        resp = check_offline(VerifyRequest(text=text), registry, lang)
        got = {a.kind for a in resp.advice}
        assert kinds <= got and not got & not_kinds, (lang, resp.verdict, got)


@pytest.mark.parametrize("req", [
    {"sender": "17012345678"},  # a virtual-operator number checked on its own
    {"text": "明天下午三点开会，记得带电脑。", "sender": "17012345678"},
])
def test_a_risk_below_the_threshold_is_not_called_nothing_suspicious(registry, req):
    resp = check_offline(VerifyRequest(**req), registry, "en")
    assert resp.verdict == "unverified" and any(r.score > 0 for r in resp.reasons)
    got = {a.kind for a in resp.advice}
    assert "take_care" in got and "not_a_legal_notice" not in got


def test_advice_contacts_come_from_registry(registry):
    resp = evaluate(Evidence(extract(VerifyRequest(text="【中国国际经济贸易仲裁委员会】请致电 021-65550177 处理。"), registry),
                             NetworkEvidence.off()), registry)
    contacts = [c for a in resp.advice for c in a.contacts]
    assert "010-82217788" in contacts and not any("65550177" in c for c in contacts)


def test_court_advice_gives_its_own_and_the_national_channels(registry):
    resp = check_offline(VerifyRequest(text="【杭州互联网法院】您的案件已立案，请登录 netcourt-gov.top 缴纳诉讼费。"), registry)
    contacts = [c for a in resp.advice if a.kind == "confirm_official" for c in a.contacts]
    assert {"netcourt.gov.cn", "12368", "court.gov.cn"} <= set(contacts)
    assert contacts.index("netcourt.gov.cn") < contacts.index("court.gov.cn")  # its own site first


@pytest.fixture(scope="module")
def court_with_a_landline(tmp_path_factory):
    """The bundled registry with a made-up landline for the Hangzhou Internet Court (test copy only:
    no phone of the court is sourced), to show how its own facts and the shared channels combine."""
    import shutil

    from verifier.registry.compiled import load_registry
    from verifier.settings import bundled_registry_path

    dst = tmp_path_factory.mktemp("court-landline")
    shutil.copytree(bundled_registry_path().parent, dst, dirs_exist_ok=True)
    path = dst / "registry.yaml"
    text = path.read_text("utf-8")
    anchor = "  domains:\n  - value: netcourt.gov.cn\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, "  phones:\n  - value: 0571-88880000\n    source: https://example.org/test\n"
                                         "    checked: '2026-12-07'\n    confidence: high\n" + anchor), "utf-8")
    return load_registry(path)


@pytest.mark.parametrize(("text", "sender", "expect", "forbid", "verdicts"), [
    # its own landline, and 12368 beside it, are its channels
    ("【杭州互联网法院】您的案件已立案，请致电0571-88880000或12368咨询。", "12368",
     {"CONSISTENCY_ALL_OFFICIAL", "SENDER_OFFICIAL"}, {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"likely_genuine"}),
    # another number is judged against its own phones, not the national line's
    ("【杭州互联网法院】您的案件已立案，请致电0571-86660000咨询。", None,
     {"CONSISTENCY_PHONE_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, NOT_FLAGGED - {"likely_genuine"}),
    ("【杭州互联网法院】您的案件已立案，请致电0571-86660000咨询。", "17100001111",
     {"CONSISTENCY_PHONE_NOT_OFFICIAL", "SENDER_NOT_OFFICIAL"}, {"CONSISTENCY_ALL_OFFICIAL"}, FLAGGED),
])
def test_court_own_landline_and_shared_channels(court_with_a_landline, text, sender, expect, forbid, verdicts):
    resp = check_offline(VerifyRequest(text=text, sender=sender), court_with_a_landline)
    codes = {r.code for r in resp.reasons}
    assert expect <= codes and not codes & forbid, sorted(codes)
    assert resp.verdict in verdicts, (resp.verdict, sorted(codes))


_S2T = None


def _traditional(req: dict) -> dict:
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    s2t = _S2T.convert
    return {k: (s2t(v) if k in ("text", "institution") and isinstance(v, str) else v) for k, v in req.items()}


HAN_CASES = [c for c in CASES if any("\u4e00" <= ch <= "\u9fff" for ch in c[1].get("text", ""))]


@pytest.mark.parametrize("case_id,req,expect,forbid,verdicts", HAN_CASES, ids=[c[0] + "-zh-Hant" for c in HAN_CASES])
def test_case_in_traditional(registry, case_id, req, expect, forbid, verdicts):
    """The same notice written in traditional characters gets the same codes and verdict."""
    simplified = evaluate(Evidence(extract(VerifyRequest(**req), registry), NetworkEvidence.off()), registry)
    trad = evaluate(Evidence(extract(VerifyRequest(**_traditional(req)), registry), NetworkEvidence.off()), registry)
    assert trad.verdict == simplified.verdict
    assert {r.code for r in trad.reasons} == {r.code for r in simplified.reasons}
