"""The demo university's fixed facts: campuses, grids, units, buildings, places, categories,
routing rules, people and the words of hazards (titles, descriptions, replies).

Everything here is fictional: 西部交通大学 (settings ``SAFECAMPUS["UNIVERSITY_NAME"]``) is
modelled on a large multi-campus university, but no name, address or number is real.
Map positions are percentages of the campus map (0–100, from the top-left corner).
"""

from safecampus.accounts.models import Role
from safecampus.hazards.models import Source

DEMO_PASSWORD = "safecampus"  # noqa: S105 - the one published password of the demo

# --- campuses and grids (网格) --------------------------------------------------------------
# (code, name, address, sort order)
CAMPUSES = [
    ("xingqing", "兴庆校区", "碑林区兴庆路1号（老城区主校区，停车位紧张）", 1),
    ("chuangxin", "创新港校区", "西咸新区创新港大道9号（科研园区，快速路环绕）", 2),
    ("yanta", "雁塔校区", "雁塔区雁塔西路6号（医学部）", 3),
    ("qujiang", "曲江校区", "曲江新区翠华路8号", 4),
]

# (code, campus code, name)
ZONES = [
    ("xq-teaching", "xingqing", "教学科研网格"),
    ("xq-living", "xingqing", "东区学生生活网格"),
    ("xq-traffic", "xingqing", "交通秩序网格"),
    ("cx-research", "chuangxin", "科研平台网格"),
    ("cx-college", "chuangxin", "书院社区网格"),
    ("cx-traffic", "chuangxin", "交通秩序网格（创新港）"),
    ("yt-teaching", "yanta", "医学教学网格"),
    ("yt-living", "yanta", "雁塔生活网格"),
    ("qj-teaching", "qujiang", "曲江教学网格"),
    ("qj-living", "qujiang", "曲江生活网格"),
]

# --- units (单位) ----------------------------------------------------------------------------
# (code, name, kind, office phone)
UNITS = [
    ("security", "党委保卫部（保卫处）", "security_office", "029-8000-1110"),
    ("logistics", "后勤保障部", "logistics", "029-8000-1200"),
    ("transport", "后勤保障部交通运输中心", "logistics", "029-8000-1210"),
    ("catering", "饮食服务中心", "logistics", "029-8000-1220"),
    ("housing", "学生公寓管理中心", "logistics", "029-8000-1230"),
    ("assets", "国有资产管理处", "office", "029-8000-1300"),
    ("labmgmt", "实验室与设备管理处", "office", "029-8000-1310"),
    ("infra", "基建处", "office", "029-8000-1320"),
    ("students", "学生工作部", "office", "029-8000-1330"),
    ("netcenter", "网络信息中心", "office", "029-8000-1340"),
    ("clinic", "校医院", "office", "029-8000-1350"),
    ("library", "图书馆", "office", "029-8000-1360"),
    ("chem", "化学学院", "college", "029-8000-2100"),
    ("mech", "机械工程学院", "college", "029-8000-2110"),
    ("elec", "电气工程学院", "college", "029-8000-2120"),
    ("energy", "能源与动力工程学院", "college", "029-8000-2130"),
    ("materials", "材料科学与工程学院", "college", "029-8000-2140"),
    ("life", "生命科学与技术学院", "college", "029-8000-2150"),
    ("humanities", "人文社会科学学院", "college", "029-8000-2160"),
    ("mgmt", "管理学院", "college", "029-8000-2170"),
    ("medical", "医学部", "college", "029-8000-2180"),
    ("info", "电子与信息学部", "college", "029-8000-2190"),
    ("boya", "博雅书院", "residential_college", "029-8000-3100"),
    ("zhixing", "知行书院", "residential_college", "029-8000-3110"),
    ("hongyi", "弘毅书院", "residential_college", "029-8000-3120"),
    ("duxing", "笃行书院", "residential_college", "029-8000-3130"),
    ("analysis", "分析测试共享中心", "lab", "029-8000-4100"),
    ("hvlab", "高电压实验中心", "lab", "029-8000-4110"),
    ("biosafety", "生物安全实验室", "lab", "029-8000-4120"),
    ("property", "校园物业服务公司", "contractor", "029-8000-5100"),
    ("elevator", "电梯维保公司驻校项目部", "contractor", "029-8000-5110"),
    ("construct", "创新港三期工程项目部", "contractor", "029-8000-5120"),
]

# Units whose leader (单位负责人) has a demo account; every unit has a safety contact.
UNITS_WITH_LEADERS = [
    "security", "logistics", "transport", "catering", "housing", "chem", "elec", "energy",
    "materials", "life", "medical", "boya", "hongyi", "property",
]

# --- buildings and places -------------------------------------------------------------------
# Building: (code, name, managing unit, zone, x, y, places)
# Place in a building: (code suffix, name, kind, own unit or None, risk level or "")
BUILDINGS = {
    "xingqing": [
        ("xq-chem", "化学楼", "chem", "xq-teaching", 28, 26, [
            ("201", "201有机化学实验室", "lab", None, "high"),
            ("305", "305分析化学实验室", "lab", None, "moderate"),
            ("b1", "B1危化品库房", "lab", None, "major"),
            ("hall", "一楼大厅", "room", None, ""),
        ]),
        ("xq-mech", "机械楼", "mech", "xq-teaching", 42, 22, [
            ("shop", "金工实习车间", "lab", None, "high"),
            ("112", "112机电实验室", "lab", None, "moderate"),
            ("302", "302教师办公室", "room", None, "low"),
        ]),
        ("xq-elec", "电气楼", "elec", "xq-teaching", 57, 24, [
            ("hv", "高压实验大厅", "lab", "hvlab", "major"),
            ("motor", "电机实验室", "lab", None, "moderate"),
            ("power", "一层配电间", "room", "logistics", "high"),
        ]),
        ("xq-energy", "能动楼", "energy", "xq-teaching", 71, 30, [
            ("comb", "燃烧实验室", "lab", None, "high"),
            ("boiler", "锅炉房", "other", "logistics", "high"),
            ("210", "210研究生办公室", "room", None, "low"),
        ]),
        ("xq-main", "主楼", "humanities", "xq-teaching", 50, 42, [
            ("hall", "学术报告厅", "room", None, "moderate"),
            ("archive", "档案室", "room", None, "low"),
            ("lift", "主楼电梯", "other", None, "moderate"),
        ]),
        ("xq-lib", "图书馆", "library", "xq-teaching", 36, 48, [
            ("read", "二层阅览室", "room", None, "low"),
            ("store", "地下书库", "room", None, "moderate"),
        ]),
        ("xq-d1", "东区1号学生公寓", "boya", "xq-living", 18, 68, [
            ("3f", "三层楼道", "dormitory", None, "moderate"),
            ("412", "412宿舍", "dormitory", None, "low"),
            ("bike", "一楼电动车停放处", "outdoor", "housing", "high"),
        ]),
        ("xq-d2", "东区2号学生公寓", "zhixing", "xq-living", 30, 76, [
            ("2f", "二层楼道", "dormitory", None, "moderate"),
            ("508", "508宿舍", "dormitory", None, "low"),
        ]),
        ("xq-canteen", "康乐餐厅", "catering", "xq-living", 46, 72, [
            ("kitchen", "后厨操作间", "canteen", None, "high"),
            ("dining", "一层就餐大厅", "canteen", None, "low"),
        ]),
        ("xq-clinic", "校医院门诊楼", "clinic", "xq-living", 64, 66, [
            ("lobby", "门诊大厅", "room", None, "low"),
            ("pharm", "药房", "room", None, "moderate"),
        ]),
    ],
    "chuangxin": [
        ("cx-1", "科研1号楼", "info", "cx-research", 24, 28, [
            ("ic", "集成电路实验室", "lab", None, "moderate"),
            ("dc", "数据中心机房", "room", "netcenter", "high"),
            ("lift", "1号楼电梯", "other", None, "moderate"),
        ]),
        ("cx-2", "科研2号楼", "energy", "cx-research", 40, 24, [
            ("flow", "多相流实验室", "lab", None, "high"),
            ("gas", "气瓶间", "lab", None, "major"),
        ]),
        ("cx-3", "材料楼", "materials", "cx-research", 56, 28, [
            ("prep", "材料制备实验室", "lab", None, "high"),
            ("test", "分析测试平台", "lab", "analysis", "moderate"),
            ("chem", "化学品暂存间", "lab", None, "major"),
        ]),
        ("cx-4", "生命楼", "life", "cx-research", 72, 30, [
            ("bsl2", "生物安全二级实验室", "lab", "biosafety", "major"),
            ("cell", "细胞培养室", "lab", None, "moderate"),
        ]),
        ("cx-dh", "弘毅书院学生公寓", "hongyi", "cx-college", 22, 70, [
            ("4f", "四层楼道", "dormitory", None, "moderate"),
            ("615", "615宿舍", "dormitory", None, "low"),
            ("bike", "电动车充电棚", "outdoor", "housing", "high"),
        ]),
        ("cx-dd", "笃行书院学生公寓", "duxing", "cx-college", 38, 76, [
            ("3f", "三层楼道", "dormitory", None, "moderate"),
            ("321", "321宿舍", "dormitory", None, "low"),
        ]),
        ("cx-canteen", "创新港学生餐厅", "catering", "cx-college", 55, 70, [
            ("kitchen", "后厨操作间", "canteen", None, "high"),
            ("dining", "二层就餐区", "canteen", None, "low"),
        ]),
    ],
    "yanta": [
        ("yt-med", "医学教学楼", "medical", "yt-teaching", 34, 28, [
            ("anat", "解剖实验室", "lab", None, "high"),
            ("patho", "病原生物学实验室", "lab", "biosafety", "major"),
            ("lift", "教学楼电梯", "other", None, "moderate"),
        ]),
        ("yt-pharm", "药学楼", "medical", "yt-teaching", 56, 30, [
            ("medchem", "药物化学实验室", "lab", None, "high"),
            ("store", "试剂库", "lab", None, "major"),
        ]),
        ("yt-dorm", "雁塔学生公寓", "students", "yt-living", 30, 70, [
            ("2f", "二层楼道", "dormitory", None, "moderate"),
            ("216", "216宿舍", "dormitory", None, "low"),
        ]),
        ("yt-canteen", "雁塔餐厅", "catering", "yt-living", 58, 72, [
            ("kitchen", "后厨操作间", "canteen", None, "high"),
        ]),
    ],
    "qujiang": [
        ("qj-mgmt", "管理学院楼", "mgmt", "qj-teaching", 38, 28, [
            ("lab", "行为实验室", "lab", None, "low"),
            ("hall", "报告厅", "room", None, "moderate"),
        ]),
        ("qj-hum", "人文楼", "humanities", "qj-teaching", 60, 30, [
            ("401", "401教室", "room", None, "low"),
            ("lift", "人文楼电梯", "other", None, "moderate"),
        ]),
        ("qj-dorm", "曲江学生公寓", "housing", "qj-living", 34, 70, [
            ("5f", "五层楼道", "dormitory", None, "moderate"),
            ("503", "503宿舍", "dormitory", None, "low"),
        ]),
        ("qj-canteen", "曲江餐厅", "catering", "qj-living", 60, 72, [
            ("kitchen", "后厨操作间", "canteen", None, "high"),
        ]),
        ("qj-gym", "体育馆", "logistics", "qj-living", 80, 50, [
            ("arena", "比赛馆", "room", None, "moderate"),
        ]),
    ],
}

# Places outside buildings: (code, campus, zone, name, kind, unit, x, y, risk level)
OUTDOOR_PLACES = [
    ("xq-gate-n", "xingqing", "xq-traffic", "北门", "gate", "security", 50, 4, "moderate"),
    ("xq-gate-e", "xingqing", "xq-traffic", "东门", "gate", "security", 96, 50, "moderate"),
    ("xq-park-n", "xingqing", "xq-traffic", "北门停车场", "car_park", "transport", 62, 9, "high"),
    ("xq-park-lib", "xingqing", "xq-traffic", "图书馆地下停车场", "car_park", "transport", 38, 56,
     "moderate"),
    ("xq-road-wt", "xingqing", "xq-traffic", "梧桐大道", "road", "transport", 50, 58, "high"),
    ("xq-road-ew", "xingqing", "xq-traffic", "东西主干道", "road", "transport", 70, 50, "moderate"),
    ("xq-square", "xingqing", "xq-teaching", "教学区中心广场", "outdoor", "property", 46, 34, "low"),
    ("xq-lake", "xingqing", "xq-living", "东区镜湖", "outdoor", "property", 80, 80, "moderate"),
    ("cx-gate-s", "chuangxin", "cx-traffic", "南门", "gate", "security", 50, 97, "moderate"),
    ("cx-road-main", "chuangxin", "cx-traffic", "创新港大道", "road", "transport", 50, 50, "high"),
    ("cx-road-ring", "chuangxin", "cx-traffic", "外环快速路", "road", "transport", 92, 40, "high"),
    ("cx-park-ug", "chuangxin", "cx-traffic", "地下停车场", "car_park", "transport", 64, 56,
     "moderate"),
    ("cx-charge", "chuangxin", "cx-traffic", "新能源汽车充电站", "car_park", "transport", 76, 60,
     "high"),
    ("cx-site", "chuangxin", "cx-research", "三期建设工地", "outdoor", "construct", 86, 82,
     "major"),
    ("yt-gate-w", "yanta", "yt-living", "西门", "gate", "security", 4, 50, "moderate"),
    ("yt-park", "yanta", "yt-living", "雁塔停车场", "car_park", "transport", 70, 56, "moderate"),
    ("yt-road", "yanta", "yt-teaching", "校内主路", "road", "transport", 46, 50, "moderate"),
    ("qj-gate", "qujiang", "qj-teaching", "正门", "gate", "security", 50, 96, "moderate"),
    ("qj-park", "qujiang", "qj-living", "曲江停车场", "car_park", "transport", 84, 80, "low"),
    ("qj-road", "qujiang", "qj-teaching", "校园环路", "road", "transport", 20, 50, "moderate"),
    ("qj-lake", "qujiang", "qj-living", "人工湖", "outdoor", "property", 16, 84, "moderate"),
]

# --- hazard categories and routing ----------------------------------------------------------
# (code, name, English name)
CATEGORIES = [
    ("fire", "消防安全", "Fire safety"),
    ("electrical", "用电安全", "Electrical safety"),
    ("hazchem", "危险化学品", "Hazardous chemicals"),
    ("lab", "实验室安全", "Laboratory safety"),
    ("special_equipment", "特种设备", "Special equipment"),
    ("building", "建筑设施", "Buildings and facilities"),
    ("traffic", "交通安全", "Traffic safety"),
    ("public_order", "治安秩序", "Public order"),
    ("fraud_cyber", "电信网络诈骗", "Telecom and online fraud"),
    ("public_health", "公共卫生", "Public health"),
    ("other", "其他", "Other"),
]

# (category, campus or None for every campus, unit)
ROUTING_RULES = [
    ("traffic", None, "transport"),
    ("special_equipment", None, "logistics"),
    ("special_equipment", "chuangxin", "elevator"),
    ("fraud_cyber", None, "security"),
    ("public_order", None, "security"),
]

# --- the words of hazards --------------------------------------------------------------------
# category → [(title, place kinds where it happens, description)]
TITLES = {
    "fire": [
        ("灭火器压力不足", ["room", "lab", "dormitory", "canteen"],
         "灭火器压力表指针处于红区，无法保证正常喷射。"),
        ("消防通道被电动车占用", ["dormitory", "outdoor", "road"],
         "多辆电动自行车停放在消防车通道上，影响应急车辆通行。"),
        ("安全出口指示灯不亮", ["room", "dormitory", "lab"],
         "疏散走道安全出口标志灯不亮，停电时无法指示疏散方向。"),
        ("疏散通道堆放杂物", ["room", "dormitory", "lab"],
         "楼道内堆放纸箱和废旧桌椅，疏散宽度不足。"),
        ("消火栓箱被遮挡", ["room", "dormitory", "canteen"], "室内消火栓箱前摆放柜子，无法打开。"),
        ("防火门常开未闭合", ["room", "dormitory", "lab"], "常闭式防火门被木楔顶住保持开启。"),
        ("灭火器过期未更换", ["room", "lab", "dormitory"], "灭火器已超过检验有效期。"),
        ("厨房排烟管道油污积存", ["canteen"], "排烟罩及管道内油污较厚，未按期清洗。"),
        ("楼道烟感报警器损坏", ["dormitory", "room"], "烟感探测器外壳脱落，指示灯不亮。"),
    ],
    "electrical": [
        ("楼道私拉电线充电", ["dormitory"], "有人从宿舍窗口拉出插线板为电动车电池充电。"),
        ("宿舍使用违规电器", ["dormitory"], "宿舍内发现电热锅和大功率吹风机。"),
        ("配电箱门未上锁", ["room", "lab", "other"], "配电箱柜门敞开，无警示标识。"),
        ("插线板串接使用", ["lab", "room", "dormitory"], "多个插线板串接后带大功率设备。"),
        ("电动自行车室内充电", ["dormitory"], "电动自行车推入楼内走廊充电。"),
        ("实验设备共用插座超负荷", ["lab"], "多台加热设备共用一个插座，插座发烫变色。"),
        ("电缆桥架盖板缺失", ["room", "other", "lab"], "桥架盖板缺失，电缆裸露。"),
        ("充电桩线路老化", ["car_park", "outdoor"], "充电桩进线护套开裂，雨天有漏电风险。"),
    ],
    "hazchem": [
        ("危化品柜未双人双锁", ["lab"], "易制爆化学品柜仅一把锁，钥匙由一人保管。"),
        ("危化品台账与实物不符", ["lab"], "抽查三种试剂，台账数量与实物不一致。"),
        ("易制毒化学品未单独存放", ["lab"], "易制毒试剂与普通试剂混放。"),
        ("气瓶未固定", ["lab"], "钢瓶未用链条固定，直立放置有倾倒风险。"),
        ("过期试剂未及时处置", ["lab"], "试剂柜内有多瓶过期试剂未送交处置。"),
        ("危化品库房通风设施故障", ["lab"], "库房排风机不运转，室内有刺激性气味。"),
    ],
    "lab": [
        ("实验室废液未分类存放", ["lab"], "有机废液与酸性废液混放在同一废液桶中。"),
        ("通风橱风速不达标", ["lab"], "通风橱面风速检测低于0.5米/秒。"),
        ("实验室无人时设备通电运行", ["lab"], "夜间无人值守时加热设备仍在运行。"),
        ("洗眼器无法正常出水", ["lab"], "紧急洗眼器打开后无水流出。"),
        ("实验室安全信息牌缺失", ["lab"], "门口未张贴安全信息牌和责任人电话。"),
        ("学生未穿实验服进行实验", ["lab"], "两名学生未穿实验服、未戴护目镜进行实验。"),
        ("冰箱内食品与试剂混放", ["lab"], "试剂冰箱内存放饮料和食品。"),
        ("高温设备旁堆放易燃物", ["lab"], "马弗炉旁堆放纸箱和泡沫包装。"),
    ],
    "special_equipment": [
        ("电梯年检过期", ["other"], "电梯检验合格标志已过有效期。"),
        ("电梯困人应急电话不通", ["other"], "轿厢内五方通话按钮按下无应答。"),
        ("锅炉压力表超期未校验", ["other", "canteen"], "压力表校验标签已过期。"),
        ("压力容器安全阀未定期校验", ["lab", "other"], "安全阀无校验记录。"),
        ("食堂蒸汽锅炉未年检", ["canteen"], "蒸汽锅炉使用登记证和年检记录不全。"),
    ],
    "building": [
        ("外墙瓷砖空鼓有脱落风险", ["room", "dormitory", "outdoor"], "外墙局部瓷砖空鼓，下方为人行通道。"),
        ("楼梯扶手松动", ["room", "dormitory"], "楼梯扶手固定螺栓松动，晃动明显。"),
        ("屋顶漏水渗入配电间", ["room", "other"], "雨后屋面渗水，沿墙流入配电间附近。"),
        ("窨井盖破损", ["road", "outdoor"], "窨井盖边缘破损，行人有踏空风险。"),
        ("地下室积水", ["room", "car_park"], "地下室积水约十厘米，排水泵未启动。"),
        ("教室吊顶松动", ["room"], "吊顶龙骨松动，有板材下垂。"),
    ],
    "traffic": [
        ("路口缺少减速带", ["road"], "十字路口车速较快，无减速带和让行标志。"),
        ("主干道车辆超速", ["road"], "上下课高峰时段机动车车速明显超过限速。"),
        ("违停占用消防通道", ["road", "car_park"], "多辆私家车停放在消防通道标线内。"),
        ("停车位不足车辆沿路停放", ["car_park", "road"], "车位已满，车辆沿道路两侧停放，影响通行。"),
        ("校门口人车混行", ["gate"], "高峰时段行人与车辆共用通道，无隔离设施。"),
        ("道路照明路灯损坏", ["road"], "连续三盏路灯不亮，夜间视线差。"),
        ("交通标志被树木遮挡", ["road"], "限速标志被树枝遮挡，驾驶人难以看清。"),
        ("僵尸车长期占用车位", ["car_park"], "一辆车积灰严重，长期未移动，疑似僵尸车。"),
        ("快递车辆逆行", ["road"], "快递三轮车在单行道上逆向行驶。"),
    ],
    "public_order": [
        ("宿舍楼门禁损坏", ["dormitory"], "门禁闸机损坏常开，外来人员可随意进入。"),
        ("校门外来人员未登记进入", ["gate"], "门岗未核验外来人员身份即放行。"),
        ("监控摄像头故障", ["gate", "car_park", "outdoor", "road"], "监控画面黑屏，已持续数日。"),
        ("夜间照明不足存在治安隐患", ["outdoor", "road"], "小路夜间无照明，学生反映有安全顾虑。"),
        ("自行车停放区频发盗窃", ["outdoor", "car_park"], "近期多次发生自行车、电动车电瓶被盗。"),
        ("校内流动摊贩聚集", ["outdoor", "gate"], "晚间有流动摊贩在门口聚集售卖。"),
    ],
    "fraud_cyber": [
        ("疑似刷单返利诈骗宣传单", ["dormitory", "canteen", "outdoor"],
         "宿舍门缝内塞有“日结兼职、刷单返利”宣传单，附二维码。"),
        ("宿舍楼张贴虚假兼职广告", ["dormitory"], "楼道张贴“高薪打字员”广告，要求先交会费。"),
        ("冒充客服退款诈骗短信集中出现", ["dormitory", "outdoor"],
         "多名学生收到冒充电商客服的退款短信，链接指向仿冒网站。"),
        ("校园网络贷款小广告", ["canteen", "outdoor", "dormitory"], "餐厅桌面张贴“免息校园贷”小广告。"),
        ("可疑人员收购学生银行卡和电话卡", ["outdoor", "gate"], "有人在门口以高价收购学生银行卡。"),
        ("游戏账号虚假交易引流二维码", ["dormitory", "canteen"],
         "宣传单以低价游戏装备为诱饵引流至私人群聊。"),
    ],
    "public_health": [
        ("食堂后厨生熟案板未分开", ["canteen"], "生熟食品使用同一案板加工。"),
        ("食堂从业人员健康证过期", ["canteen"], "抽查发现两名从业人员健康证过期。"),
        ("宿舍楼垃圾清运不及时", ["dormitory"], "楼道垃圾桶满溢，有异味。"),
        ("饮水机滤芯超期未更换", ["dormitory", "room"], "饮水机滤芯更换记录停留在半年前。"),
        ("二次供水水箱未定期清洗", ["other", "dormitory"], "水箱清洗消毒记录缺失。"),
        ("后厨防鼠设施缺失", ["canteen"], "后厨排水口无防鼠网，挡鼠板缺失。"),
    ],
    "other": [
        ("水体边缺少警示标识", ["outdoor"], "湖边无“水深危险”警示牌和救生圈。"),
        ("施工围挡不牢固", ["outdoor", "road"], "施工围挡底座松动，大风天可能倾倒。"),
        ("树木枯枝有坠落风险", ["outdoor", "road"], "行道树有大枯枝悬挂在人行道上方。"),
        ("运动场器材损坏", ["outdoor", "room"], "篮球架底座锈蚀，有倾倒风险。"),
    ],
}

# Campus flavour: the old city campus is short of parking, the innovation harbour has fast roads.
CAMPUS_TRAFFIC_TITLES = {
    "xingqing": ["停车位不足车辆沿路停放", "违停占用消防通道", "校门口人车混行", "僵尸车长期占用车位"],
    "chuangxin": ["主干道车辆超速", "路口缺少减速带", "快递车辆逆行", "道路照明路灯损坏"],
}

# Major hazards (重大隐患): (category, title, place kinds, description)
MAJOR_TITLES = [
    ("hazchem", "危化品库房防爆设施失效", ["lab"],
     "库房防爆灯具和防爆排风机损坏，可燃气体报警器失效，库存易燃液体较多。"),
    ("fire", "学生公寓消防管网锈蚀无法正常供水", ["dormitory"],
     "消火栓试射压力不足，管网多处锈蚀渗漏，需整体更换。"),
    ("building", "实验楼外墙大面积空鼓脱落风险", ["lab", "room"],
     "外墙面砖大面积空鼓，已有碎片坠落，下方为主要出入口。"),
    ("special_equipment", "锅炉房压力容器超期未检且安全附件失效", ["other"],
     "压力容器超期两年未检验，安全阀锈死。"),
    ("lab", "生物安全实验室负压系统失效", ["lab"], "负压监测显示压差为零，送排风系统联锁故障。"),
]

# Photo colour (RGB) per category, so the demo pictures are told apart at a glance.
CATEGORY_COLOURS = {
    "fire": (200, 60, 50), "electrical": (230, 170, 40), "hazchem": (150, 70, 160),
    "lab": (60, 120, 190), "special_equipment": (90, 110, 120), "building": (150, 120, 90),
    "traffic": (40, 150, 90), "public_order": (70, 80, 150), "fraud_cyber": (200, 80, 140),
    "public_health": (60, 170, 170), "other": (120, 120, 120),
}

# Where reports come from, per category: source → weight.
SOURCE_WEIGHTS = {
    "fire": {Source.REPORT: 4, Source.INSPECTION: 4, Source.PATROL: 3, Source.OFFICE: 1},
    "electrical": {Source.REPORT: 3, Source.INSPECTION: 4, Source.PATROL: 3},
    "hazchem": {Source.INSPECTION: 6, Source.OFFICE: 1},
    "lab": {Source.INSPECTION: 6, Source.REPORT: 1},
    "special_equipment": {Source.INSPECTION: 4, Source.REPORT: 2},
    "building": {Source.REPORT: 3, Source.INSPECTION: 2, Source.PATROL: 2},
    "traffic": {Source.REPORT: 3, Source.PATROL: 4, Source.POLICE: 1},
    "public_order": {Source.PATROL: 4, Source.REPORT: 2, Source.POLICE: 2},
    "fraud_cyber": {Source.REPORT: 4, Source.POLICE: 3, Source.PATROL: 1},
    "public_health": {Source.REPORT: 3, Source.INSPECTION: 3},
    "other": {Source.REPORT: 3, Source.PATROL: 2},
}

# How many hazards of each category, relative to each other.
CATEGORY_WEIGHTS = {
    "fire": 18, "electrical": 16, "hazchem": 7, "lab": 10, "special_equipment": 5,
    "building": 7, "traffic": 16, "public_order": 8, "fraud_cyber": 8, "public_health": 4,
    "other": 3,
}

REQUIREMENTS = [
    "请于期限内完成整改，整改前落实临时管控措施，并上传整改前后对比照片。",
    "请责任单位立即组织整改，明确整改责任人，整改完成后提交佐证材料申请复查。",
    "请按照学校安全管理规定完成整改，期间加强巡查，防止事故发生。",
    "请立即清理并举一反三开展自查，整改完成后提交书面说明和照片。",
]

REJECT_REASONS = [
    "经现场核实，该情况不属于安全隐患。",
    "现场核查未发现所述问题，可能已自行处理。",
    "该问题属于校外市政管理范围，已告知属地街道办。",
    "描述信息不足且多次联系未果，无法核实。",
]

CONFIRM_COMMENTS = ["情况属实，予以确认。", "已现场核实。", "", "", "请责任单位尽快处理。"]

EVIDENCE_TEXTS = [
    "已完成整改，现场已恢复正常，附整改后照片。",
    "已更换相关设备并组织本单位人员开展自查，附照片。",
    "已清理完毕，并安排专人每日巡查，防止反弹。",
    "已联系维保单位完成维修，维修记录已存档。",
    "已按要求整改到位，并对相关人员进行了安全教育。",
]

FIX_ON_SPOT_TEXTS = [
    "现场督促责任人立即整改，已当场清理完毕。",
    "现场更换灭火器一具，已恢复正常。",
    "已当场拆除私拉电线并没收违规电器。",
    "现场移开遮挡物，消防设施恢复可用。",
    "当场通知车主挪车，通道已恢复畅通。",
]

RETURN_REASONS = [
    "整改不彻底，照片显示仍有杂物堆放，请继续整改。",
    "佐证照片不清晰，无法确认整改效果，请补充现场照片。",
    "仅做了临时处理，未从根本上消除隐患，请制定长效措施。",
]

EXTENSION_REASONS = [
    "需采购专用设备，供货周期较长，申请延期。",
    "整改涉及施工改造，需走招标程序，申请延长整改期限。",
    "节假日期间维保单位无法进场，申请顺延。",
]

REFUSE_COMMENTS = ["该隐患风险较高，不同意延期，请加强力量按期完成。",
                   "理由不充分，请按原期限完成整改。"]

PLAN_TEXTS = [
    ("委托具备资质的单位进行检测评估，制定改造方案，分阶段实施改造并组织验收。",
     "划定警戒区域并设置警示标识，安排专人值守，每日巡查并记录。"),
    ("停用相关设施，完成维修更换后经第三方检测合格再投入使用。",
     "停止使用并张贴停用告示，调整相关实验安排，配置临时应急器材。"),
]

MILESTONES = ["完成现场检测评估", "确定整改方案并落实经费", "完成施工改造", "组织验收"]

# --- people --------------------------------------------------------------------------------
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = ("伟 芳 娜 敏 静 磊 洋 勇 艳 杰 涛 明 超 霞 平 刚 桂英 建华 文 华 红 强 军 玲 鹏 辉 婷 斌 宇 浩 凯 "
         "秀兰 晨 欣 悦 博 子涵 一鸣 思远 雨桐 梓萱 浩然 嘉怡 俊杰 雅琪 志强 海燕 立新 国庆 晓东 春梅 "
         "建国 慧 琳 颖 帆 航 睿 毅 岩").split()

# The security office: (username, role). The office head (保卫处处长) is the office admin.
OFFICE_PEOPLE = [
    ("office_head", Role.OFFICE_ADMIN),
    ("inspector1", Role.OFFICE_STAFF),
    ("inspector2", Role.OFFICE_STAFF),
    ("inspector3", Role.OFFICE_STAFF),
    ("inspector4", Role.OFFICE_STAFF),
]
