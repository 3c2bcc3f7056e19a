"""The demo university's checklists (检查表), written for the demo, and what inspectors note.

Each checklist: (code, name, kind, pass score or None, sections); a section is (code, title,
items); an item is (code, text, basis, hazard category code, grade, veto, scoring, points).
"""

LAB_BASIS = "《高等学校实验室安全规范》"
FIRE_BASIS = "《高等学校消防安全管理规定》"
DORM_BASIS = "《学生宿舍安全管理办法》"

LAB = ("lab-safety", "实验室安全检查表", "laboratory", None, [
    ("1", "安全责任与制度", [
        ("1.1", "实验室门口张贴安全信息牌，写明安全责任人、危险类别、防护措施和应急电话", LAB_BASIS,
         "lab", "general", False, "none", 0),
        ("1.2", "安全管理制度和主要设备操作规程张贴上墙或可随时查阅", LAB_BASIS,
         "lab", "general", False, "none", 0),
        ("1.3", "进入实验室的学生和人员均经过安全培训并考核合格，有记录可查", LAB_BASIS,
         "lab", "general", False, "none", 0),
    ]),
    ("2", "消防与应急", [
        ("2.1", "灭火器、灭火毯配置齐全，压力正常，在有效期内", FIRE_BASIS,
         "fire", "general", False, "none", 0),
        ("2.2", "疏散通道和安全出口畅通，门口及走廊无堆放仪器和杂物", FIRE_BASIS,
         "fire", "general", False, "none", 0),
        ("2.3", "应急喷淋和洗眼装置能正常出水，每月检查并记录", LAB_BASIS,
         "lab", "general", False, "none", 0),
        ("2.4", "应急照明和疏散指示标志完好有效", FIRE_BASIS,
         "fire", "general", False, "none", 0),
    ]),
    ("3", "危险化学品", [
        ("3.1", "危险化学品按性质分类存放，不相容的化学品没有混放", LAB_BASIS,
         "hazchem", "general", False, "none", 0),
        ("3.2", "易制毒、易制爆化学品双人保管、双锁存放，台账与实物相符", "《易制爆危险化学品治安管理办法》",
         "hazchem", "major", True, "none", 0),
        ("3.3", "气体钢瓶直立固定，有状态标识，实验室内不超量存放", LAB_BASIS,
         "hazchem", "general", False, "none", 0),
        ("3.4", "化学废液分类收集、标签清楚，未倒入下水道", LAB_BASIS,
         "hazchem", "general", False, "none", 0),
    ]),
    ("4", "用电与设备", [
        ("4.1", "没有私拉乱接电线，没有多个插线板串接使用", LAB_BASIS,
         "electrical", "general", False, "none", 0),
        ("4.2", "大功率设备使用专用插座，电源线无破损老化", LAB_BASIS,
         "electrical", "general", False, "none", 0),
        ("4.3", "烘箱、马弗炉等加热设备周围无易燃物，运行时有人值守", FIRE_BASIS,
         "fire", "general", False, "none", 0),
        ("4.4", "压力容器等特种设备在检验有效期内，操作人员持证", "《特种设备安全法》",
         "special_equipment", "general", False, "none", 0),
        ("4.5", "实验结束后关闭水、电、气，最后离开的人员有检查记录", LAB_BASIS,
         "electrical", "general", False, "none", 0),
    ]),
])

# Version 2 of the laboratory checklist adds one item (published during the campaign).
LAB_V2_EXTRA = ("4", ("4.6", "实验室内不存放和使用电动自行车电池及充电器", FIRE_BASIS,
                      "fire", "general", False, "none", 0))

DORM = ("dorm-score", "学生宿舍安全卫生检查评分表", "dormitory", 60, [
    ("1", "内务卫生（得分项）", [
        ("1.1", "地面清洁，没有垃圾和杂物", DORM_BASIS, "public_health", "general", False, "scored", 10),
        ("1.2", "床铺整洁，被褥和物品摆放有序", DORM_BASIS, "public_health", "general", False, "scored", 10),
        ("1.3", "书桌、书架整齐干净", DORM_BASIS, "public_health", "general", False, "scored", 10),
        ("1.4", "门窗和墙面干净，没有乱贴乱画", DORM_BASIS, "public_health", "general", False, "scored", 10),
        ("1.5", "阳台整洁，没有堆放杂物", DORM_BASIS, "public_health", "general", False, "scored", 10),
    ]),
    ("2", "安全秩序（得分项）", [
        ("2.1", "宿舍安全公约张贴在显眼位置", DORM_BASIS, "fire", "general", False, "scored", 10),
        ("2.2", "门后和走廊没有堆放物品，疏散通道畅通", FIRE_BASIS, "fire", "general", False, "scored", 20),
        ("2.3", "离开宿舍时关闭电源和门窗", DORM_BASIS, "electrical", "general", False, "scored", 20),
    ]),
    ("3", "加分项", [
        ("3.1", "宿舍主动开展安全自查，获评文明寝室", DORM_BASIS, "other", "general", False, "bonus", 10),
    ]),
    ("4", "扣分项", [
        ("4.1", "使用电热毯、热得快、电饭锅等违规电器", DORM_BASIS, "electrical", "general", False,
         "deduction", 20),
        ("4.2", "私拉电线，或把插线板放在床上", DORM_BASIS, "electrical", "general", False,
         "deduction", 20),
        ("4.3", "在宿舍内吸烟或焚烧物品", FIRE_BASIS, "fire", "general", False, "deduction", 20),
        ("4.4", "把电动自行车电池带进宿舍充电", FIRE_BASIS, "fire", "major", True, "deduction", 20),
    ]),
])

FIRE = ("fire-safety", "重点部位消防安全检查表", "fire", None, [
    ("1", "消防设施", [
        ("1.1", "消火栓箱内水带、水枪齐全，箱门开启灵活", FIRE_BASIS, "fire", "general", False, "none", 0),
        ("1.2", "自动报警和喷淋系统处于正常工作状态", FIRE_BASIS, "fire", "general", False, "none", 0),
        ("1.3", "灭火器数量符合配置要求，在有效期内", FIRE_BASIS, "fire", "general", False, "none", 0),
    ]),
    ("2", "疏散条件", [
        ("2.1", "安全出口没有上锁或被堵塞", FIRE_BASIS, "fire", "major", True, "none", 0),
        ("2.2", "防火门常闭，闭门器完好", FIRE_BASIS, "fire", "general", False, "none", 0),
        ("2.3", "疏散指示标志和应急照明完好", FIRE_BASIS, "fire", "general", False, "none", 0),
    ]),
    ("3", "用火用电", [
        ("3.1", "厨房燃气管道和阀门无泄漏，燃气报警器有效", FIRE_BASIS, "fire", "general", False, "none", 0),
        ("3.2", "配电箱前无遮挡，线路无私拉乱接", FIRE_BASIS, "electrical", "general", False, "none", 0),
        ("3.3", "烟道定期清洗，有记录", FIRE_BASIS, "fire", "general", False, "none", 0),
    ]),
])

# What an inspector writes for a failed item (picked by the item's hazard category).
FINDING_NOTES = {
    "fire": ["走廊堆放纸箱和废旧桌椅", "灭火器压力指针在红区", "安全出口指示灯不亮", "防火门用木楔顶开"],
    "electrical": ["插线板串接三个", "电源线外皮破损", "离开时电脑和饮水机未断电"],
    "hazchem": ["酸碱试剂混放在同一柜内", "钢瓶未固定", "废液桶没有标签"],
    "lab": ["安全信息牌信息过期", "洗眼器出水不畅", "两名新生无培训记录"],
    "special_equipment": ["高压灭菌锅检验已过期"],
    "public_health": ["地面有垃圾", "阳台堆放杂物"],
    "other": ["有待改进"],
}
FIX_NOTES = ["当场清理杂物，通道已畅通", "当场拆除串接插线板", "已当场更换灭火器"]
SUMMARIES = ["整体情况良好，个别问题已要求限期整改。", "请学院加强日常自查。", "", ""]
SIGNERS = ["王老师", "李老师", "张主任", "刘老师", "陈老师", "赵老师"]

# Notes for particular items (checklist code → item code → notes), preferred to the
# category's notes above.
ITEM_NOTES = {
    "dorm-score": {
        "1.1": ["地面有果皮和外卖盒"], "1.2": ["两张床铺被褥未整理"], "1.3": ["书桌堆满杂物"],
        "1.4": ["墙面张贴海报，有胶带痕迹"], "1.5": ["阳台堆放纸箱和旧鞋"],
        "2.1": ["安全公约未张贴"], "2.2": ["门后堆放行李箱，影响通行"],
        "2.3": ["无人时台灯和充电器未断电"], "3.1": ["未开展自查"],
        "4.1": ["床下发现电热毯一条"], "4.2": ["插线板放在床铺上使用"],
        "4.3": ["阳台发现烟头"], "4.4": ["宿舍内有电动自行车电池正在充电"],
    },
}
