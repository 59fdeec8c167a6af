//! A deterministic corpus of realistic live-commerce text for benchmarks.
//!
//! Lines are drawn with a seeded xorshift generator from three sources:
//! - viewer comments: the COLD dataset (train and dev, Apache-2.0, shared/data/cold),
//!   real Chinese social-media comments of about 48 characters;
//! - streamer transcripts and product copy: sentence banks written for this project
//!   ([`TRANSCRIPT`], [`PRODUCT_COPY`], [`COMMENTS`]), about one sentence in eight a
//!   violation, as in a loosely run live room;
//! - numbers (prices, counts) filled into templates.
//!
//! The same seed and sources give the same bytes, so the benchmark can assert its counts.

use std::path::Path;

/// Seeded xorshift64*: tiny, deterministic, good enough to shuffle sentences.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

pub(crate) const TRANSCRIPT: &[&str] = &[
    "欢迎新进直播间的宝宝们，点点关注不迷路",
    "今天给大家带来的是我们家的明星单品",
    "这款面霜质地很轻薄，上脸一抹就化开了",
    "大家看一下这个颜色，上手是非常显白的",
    "我们今天的价格是{n}元，链接已经上好了",
    "拍一发二，两瓶一起发，大家可以囤一下",
    "有没有干皮的宝宝，干皮的宝宝扣个1",
    "这个是我们的第{d}号链接，大家去小黄车里找",
    "买回去用完觉得不喜欢，支持七天无理由退货",
    "我们的客服都在线，有问题可以直接问客服",
    "这款的成分表我给大家念一下，主要是烟酰胺和透明质酸",
    "油皮的姐妹夏天用这个清爽不黏腻",
    "这个尺码偏大一码，平时穿M的可以拍S",
    "面料是纯棉的，透气性很好，贴身穿也舒服",
    "发货地是浙江杭州，一般四十八小时内发出",
    "好，我们来看下一款，这款是我们的新品",
    "库存还有一些，大家不用着急，慢慢拍",
    "已经拍到的宝宝记得去付款，超时订单会自动取消",
    "这款茶叶是今年的春茶，口感清香回甘",
    "保质期是十八个月，开封后请尽快饮用",
    "孕妇和婴幼儿请在医生指导下使用",
    "大家在评论区告诉我你们想要什么颜色",
    "我自己平时出门也会带这个，很方便",
    "今天的福袋马上开，大家记得参与一下",
    "这个价格是限时的，活动截止到今晚十二点",
    "具体的赠品以下单页面显示为准",
    "这款适合敏感肌吗？我们做过皮肤测试，但还是建议先在耳后试用",
    "这一锅汤底是用老母鸡熬的，味道很鲜",
    "这个充电宝容量是一万毫安，可以带上飞机",
    "衣服洗的时候建议冷水手洗，不要暴晒",
    // Violations, as streamers actually say them.
    "这是全网最低价，错过今天再等一年",
    "这款面霜是我用过最好的，用完立竿见影",
    "原价{p}元，今天直播间只要{n}元",
    "库存告急，手慢无，仅剩{d}件了",
    "想要更便宜的可以加我微信私聊",
    "这个精华美白祛斑效果特别好",
    "坚持喝一个月，调理肠胃，改善便秘",
    "隔壁直播间卖的都是假货，别去买",
    "我们是行业第一，销量冠军",
    "已经卖了{d}万单了，好评率百分之九十九",
];

pub(crate) const PRODUCT_COPY: &[&str] = &[
    "【产品名称】水润修护面霜 【净含量】50g 【保质期】三年",
    "适用人群：干性及混合性肌肤；使用方法：洁面后取适量均匀涂抹于面部",
    "注意事项：如有不适请停止使用；请置于儿童接触不到的地方",
    "普通化妆品备案号：浙G妆网备字2024{d}号",
    "配料表：水、甘油、丁二醇、烟酰胺、透明质酸钠",
    "食品生产许可证编号SC{d}，贮存条件：阴凉干燥处",
    "本品支持七天无理由退货（不影响二次销售）",
    "面料成分：棉{d}%，聚酯纤维；洗涤方式：手洗",
    "规格：500ml×2瓶；产地：云南普洱",
    "券后价{n}元，满{p}元减二十元，每个账号限购两件",
    "质保一年，售后请联系平台客服",
    "特级初榨橄榄油，执行标准GB/T 23347",
    // Violations.
    "顶级工艺，极致体验，行业天花板",
    "专柜价{p}元，今日特价，本活动最终解释权归本店所有",
    "医院同款修复面膜，临床验证有效",
    "增强免疫力，老少皆宜，家庭必备",
];

pub(crate) const COMMENTS: &[&str] = &[
    "主播今天好漂亮",
    "想要二号链接",
    "已拍，什么时候发货",
    "这个适合油皮吗",
    "有没有小码",
    "上次买的还没用完",
    "求讲解一下三号",
    "福袋什么时候开",
    "主播声音好好听",
    "好用回购了",
    "颜色有点偏黄",
    "物流太慢了，等了一周",
    "客服不回消息",
    "包装破损了怎么办",
    "价格能不能再低点",
    // Violations.
    "加我vx领优惠券",
    "主播脑残吧",
    "私聊我，便宜出",
    "我电话138{d}5678，联系我",
    "五星好评返现吗",
];

/// Reads COLD comments (the `TEXT` column) from `dir`, or returns none when absent.
pub(crate) fn cold_comments(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for file in ["train.csv", "dev.csv"] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let (mut rdr, headers) = crate::accuracy::open_csv(&path)?;
        let text_col = crate::accuracy::column(&headers, "TEXT")?;
        for rec in rdr.records() {
            let rec = rec?;
            if let Some(t) = rec.get(text_col) {
                out.push(t.replace('\n', " "));
            }
        }
    }
    Ok(out)
}

fn fill(template: &str, rng: &mut Rng) -> String {
    template
        .replace("{n}", &(9 + rng.below(490)).to_string())
        .replace("{p}", &(199 + rng.below(1800)).to_string())
        .replace("{d}", &(1 + rng.below(99)).to_string())
}

/// Generates at least `bytes_min` bytes of lines: 45% transcript, 15% product copy,
/// 40% comments (half COLD, half the comment bank).
pub(crate) fn generate(bytes_min: usize, seed: u64, cold: &[String]) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut lines = Vec::new();
    let mut total = 0usize;
    while total < bytes_min {
        let roll = rng.below(100);
        let line = if roll < 45 {
            // A transcript segment: two or three sentences.
            let n = 2 + rng.below(2);
            (0..n)
                .map(|_| fill(rng.pick(TRANSCRIPT), &mut rng))
                .collect::<Vec<_>>()
                .join("，")
        } else if roll < 60 {
            fill(rng.pick(PRODUCT_COPY), &mut rng)
        } else if roll < 80 && !cold.is_empty() {
            cold[rng.below(cold.len())].clone()
        } else {
            fill(rng.pick(COMMENTS), &mut rng)
        };
        total += line.len() + 1;
        lines.push(line);
    }
    lines
}
